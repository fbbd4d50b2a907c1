/** @jest-environment ./test/ai/ort-environment.js */
/**
 * A selected series that cannot be built into a volume no longer fails the study: a T2 with a
 * damaged slice in the middle (native Pixel Data cut to half, as an older node version could have stored it) is
 * left out with the reason, and the model runs on the other roles its missing-modality rules allow. Real tiny
 * ONNX model (test/fixtures/models), real synthetic study; stops at the findings (encoding is tested elsewhere).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { ModelRegistry } from '../../src/ai/registry';
import { groupFiles, inferStudy } from '../../src/pipeline/infer-study';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { shortenedPixelData } from '../helpers/damaged-dicom';

const cfg = parseConfig({ models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false } });
let registry: ModelRegistry;
let dir: string;

beforeAll(async () => {
  registry = await ModelRegistry.load(cfg.models.dir, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'damaged-series-'));
});

afterAll(async () => {
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a T2 with a damaged middle slice is left out; the model still runs on the other series', async () => {
  const study = await synthesiseStudy({ tumor: 'astro', seed: 'damaged-t2', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
  writeStudy(study, join(dir, 'in'));
  const t2 = study.series.find((s) => s.role === 't2')!;
  const folder = join(dir, 'in', 'dicom', t2.folder);
  const files = readdirSync(folder).sort();
  expect(files.length).toBeGreaterThan(4); // single-frame slices
  const victim = join(folder, files[Math.floor(files.length / 2)]!);
  writeFileSync(victim, shortenedPixelData(readFileSync(victim)));

  const { studies } = await groupFiles([join(dir, 'in')]);
  const outcome = await inferStudy(studies[0]!, registry, cfg);
  const model = outcome.outcomes[0]!;
  expect(model.error).toBeUndefined();
  expect(model.findings!.inputs.map((i) => i.role)).not.toContain('t2');
  expect(model.findings!.inputs.map((i) => i.role)).toContain('flair');
  expect(model.findings!.warnings.join('\n')).toMatch(/t2: series left out \(missing-slice\): missing slices .* left out: Pixel Data holds \d+ bytes, fewer than the \d+/);
});
