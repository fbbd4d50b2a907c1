/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The committed reference model packages (models/glioma-mtl, models/brainmets-egfr, trained by training/ on
 * synthetic data) on a synthetic DICOM study from src/synth, end to end through the same steps as `infer`:
 * Dice of the label map (on the display series) against the generator's ground truth resampled onto that series.
 * Runs only when the package is committed (the training teammate produces it); skipped otherwise.
 * Synthetic-data numbers, not clinical performance.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { ModelRegistry } from '../../src/ai/registry';
import { groupFiles, inferStudy } from '../../src/pipeline/infer-study';
import { dice } from '../../src/ai/postprocess';
import { resampleNearest } from '../../src/imaging/resample';
import { seriesTargetGrid } from '../../src/imaging/inverse-map';
import { labelVolume } from '../../src/synth/ground-truth';
import { synthesiseStudy, type StudyOptions } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { gliomaCardDice } from '../helpers/model-card';

const MODELS = join(__dirname, '../../models');
const cfg = parseConfig({ models: { intraOpNumThreads: 2, modalityImportance: false, testTimeAugmentation: false } });

type StudyFindings = NonNullable<Awaited<ReturnType<typeof inferStudy>>['outcomes'][number]['findings']>;
interface Scored {
  wt: number;
  tc: number;
  et: number;
  gtv: number;
  findings: StudyFindings;
}

/** Synthesises one study and runs `model` on it once per configuration; Dice against the ground truth where segmented. */
async function runOnStudy(opts: StudyOptions, model: string, registry: ModelRegistry, configs: Config[] = [cfg]): Promise<Array<Scored | { findings: StudyFindings }>> {
  const work = mkdtempSync(join(tmpdir(), 'ref-model-'));
  try {
    const s = await synthesiseStudy(opts);
    writeStudy(s, work);
    const { studies } = await groupFiles([join(work, 'dicom')]);
    const out: Array<Scored | { findings: StudyFindings }> = [];
    for (const c of configs) {
      const o = (await inferStudy(studies[0]!, registry, c, { models: [model], tta: false, modalityImportance: false })).outcomes[0]!;
      if (!o.findings) throw new Error(`${model} did not run: ${o.error?.message}`);
      const f = o.findings;
      if (!f.segmentation) {
        out.push({ findings: f });
        continue;
      }
      const truth = resampleNearest(labelVolume(s), seriesTargetGrid(f.referenceSeries), { fill: 0 }) as Uint8Array;
      const pred = f.segmentation.labelmap.data;
      out.push({ wt: dice(pred, [1, 2, 3], truth, [1, 2, 3]), tc: dice(pred, [1, 3], truth, [1, 3]), et: dice(pred, [3], truth, [3]), gtv: dice(pred, [1], truth, [1, 3]), findings: f });
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function diceOnStudy(opts: StudyOptions, model: string, registry: ModelRegistry): Promise<Scored> {
  const [r] = await runOnStudy(opts, model, registry);
  if (!r || !('wt' in r)) throw new Error(`${model} reported no segmentation`);
  return r;
}

const glioma = existsSync(join(MODELS, 'glioma-mtl/manifest.json')) ? describe : describe.skip;
glioma('committed glioma-mtl on synthetic studies', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await ModelRegistry.load(MODELS, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
  });
  afterAll(async () => registry.close());

  it('loads (manifest, sha256, graph) and segments a synthetic glioblastoma (Dice vs ground truth)', async () => {
    expect(registry.reports.find((r) => r.name === 'glioma-mtl')?.ok).toBe(true);
    const r = await diceOnStudy({ tumor: 'gbm', seed: 'reference-model-gbm-1', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'never' }, 'glioma-mtl', registry);
    process.stdout.write(`glioma-mtl synthetic GBM: Dice WT ${r.wt.toFixed(3)} TC ${r.tc.toFixed(3)} ET ${r.et.toFixed(3)}\n`);
    expect(r.wt).toBeGreaterThan(0.6);
    expect(r.tc).toBeGreaterThan(0.4);
    for (const h of r.findings.heads) expect(h.classes.reduce((a, c) => a + c.probability, 0)).toBeCloseTo(1, 6);
    expect(r.findings.diagnosis).toBeDefined();
  });

  it('without FLAIR: segmentation withheld by default (model card), heads reported; the raw segmentation on request', async () => {
    const raw = parseConfig({ models: { ...cfg.models, withholdUnvalidatedSegmentation: false } });
    const [byDefault, unwithheld] = await runOnStudy({ tumor: 'gbm', seed: 'reference-model-gbm-2', vendor: 'ge', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'never', drop: ['flair'] }, 'glioma-mtl', registry, [cfg, raw]);
    // Default: the manifest says the segmentation needs T1+FLAIR with T2 or T1ce; no SEG, no volumes, said why.
    const f = byDefault!.findings;
    expect(f.missingModalities).toEqual(['flair']);
    expect(f.segmentation).toBeUndefined();
    expect(f.regions).toEqual([]);
    expect(f.segmentationWithheld?.reason).toMatch(/^segmentation withheld: FLAIR missing; glioma-mtl segments reliably only with T1\+T2\+FLAIR or T1\+T1ce\+FLAIR/);
    expect(f.warnings).toContain(f.segmentationWithheld!.reason);
    expect(f.heads.map((h) => h.head)).toEqual(['idh', 'codeletion_1p19q', 'grade', 'histology']);
    // On request the raw segmentation: T1ce still shows the core; the oedema (WT) is what FLAIR carries, and the
    // model card documents how much of it is lost without FLAIR (held-out mean): no far worse than that figure.
    const r = unwithheld as Scored;
    process.stdout.write(`glioma-mtl synthetic GBM without FLAIR: Dice WT ${r.wt.toFixed(3)} TC ${r.tc.toFixed(3)} ET ${r.et.toFixed(3)}\n`);
    expect(r.findings.segmentationWithheld).toBeUndefined();
    expect(r.tc).toBeGreaterThan(0.4);
    expect(r.wt).toBeGreaterThan(gliomaCardDice('no FLAIR').wt - 0.15);
    // Same model run: the heads do not depend on whether the segmentation is reported.
    expect(r.findings.heads).toEqual(f.heads);
  });
});

const mets = existsSync(join(MODELS, 'brainmets-egfr/manifest.json')) ? describe : describe.skip;
mets('committed brainmets-egfr on a synthetic metastasis study', () => {
  it('segments the metastases (Dice GTV vs ground truth NCR+ET)', async () => {
    const registry = await ModelRegistry.load(MODELS, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
    try {
      const r = await diceOnStudy({ tumor: 'mets', seed: 'reference-model-mets-1', vendor: 'philips', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'never' }, 'brainmets-egfr', registry);
      process.stdout.write(`brainmets-egfr synthetic metastases: Dice GTV ${r.gtv.toFixed(3)}\n`);
      expect(r.gtv).toBeGreaterThan(0.5);
      expect(r.findings.heads.map((h) => h.head)).toEqual(['egfr']);
    } finally {
      await registry.close();
    }
  });
});
