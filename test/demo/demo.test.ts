/**
 * `npm run demo` must keep working: the demo runs on the committed models with the node as its own destination,
 * ends with the job done, prints the summary table and lists result files that exist and pass the conformance checks.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../src/demo/demo';
import { checkConformance } from '../../conformance/check';

it('runs a synthetic study end to end on the committed models and reports where the results are', async () => {
  const lines: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'demo-'));
  const { job, outDir } = await runDemo({ dataDir, tumor: 'gbm', seed: 'demo-test', size: 'small', modelsDir: 'models', out: (l) => lines.push(l) });
  const text = lines.join('\n');
  expect(job.state).toBe('done');
  expect(outDir).toBeDefined();
  expect(text).toMatch(/models loaded: .*glioma-mtl/);
  expect(text).toMatch(/region\s+volume \(mL\)\s+Dice vs synthetic truth/);
  expect(text).toMatch(/WT\s+\d+\.\d\s+\d\.\d\d/);
  expect(text).toMatch(/integrated diagnosis: .*truth: Glioblastoma, IDH-wildtype/);
  // The prognosis head: survival at 12/24/60 months with its spread and risk group, and the population-statistics statement.
  const survival = /Overall survival \(age \d+\): survival 12 mo \d+% ± \d+%, 24 mo \d+% ± \d+%, 60 mo \d+% ± \d+%; risk group (high|intermediate|low)/.exec(text);
  console.log(survival?.[0]);
  expect(survival).not.toBeNull();
  expect(text).toMatch(/not a prediction for this patient/);
  const files = [...text.matchAll(/^\s+(?:seg|sr|sc|pdf)\s+(\S+\.dcm)$/gm)].map((m) => m[1]!);
  expect(files.length).toBeGreaterThanOrEqual(2);
  for (const f of files) expect(existsSync(f)).toBe(true);
  const report = await checkConformance(files);
  expect(report.errors).toBe(0);
}, 300_000); // a whole study (synthesis, STOW, inference with TTA and leave-one-modality-out) on a loaded CI machine
