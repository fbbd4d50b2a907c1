/** @jest-environment ./test/ai/ort-environment.js */
/**
 * A tumour-free study (the commonest result of a routed study: a normal follow-up, or nothing left after resection)
 * through `process`. Every stage must cope with zero segmented voxels: the SR says no tumour was detected, volumes
 * are 0, the classification heads are "not applicable", no NaN reaches a writer, and the objects are conformant.
 * The tiny test models segment nothing here because `minComponentMl` removes every component; the last test runs
 * the committed glioma model through the CLI on the study that first showed the failure.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { ModelRegistry } from '../../src/ai/registry';
import { processFolder } from '../../src/pipeline/offline';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { checkConformance } from '../../conformance/check';
import { readP10 } from '../../src/dicom/p10';
import { decodeSeg } from '../../src/encoders/seg/seg-decoder';
import { runCli } from '../helpers/run-cli';
import { expectTumourFreeSr } from '../helpers/tumour-free-sr';

describe('tumour-free study through process', () => {
  const cfg = parseConfig({
    // Removing every component larger than nothing: the models run, the segmentation is reported and empty.
    models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], minComponentMl: 1e6, modalityImportance: true },
  });
  let registry: ModelRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await ModelRegistry.load(cfg.models.dir, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    dir = mkdtempSync(join(tmpdir(), 'tumour-free-'));
  });
  afterAll(async () => {
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('glioma and metastasis models: SEG with its placeholder frame, SR "not detected" with volumes 0, PDF, no key images; conformant', async () => {
    const study = await synthesiseStudy({ tumor: 'none', seed: 'tumour-free-1', vendor: 'ge', size: 'small', distractors: 'none' });
    writeStudy(study, join(dir, 'in'));
    const out = join(dir, 'out');
    const { studies } = await processFolder([join(dir, 'in')], out, registry, cfg, { models: ['tiny-glioma', 'tiny-mets'] });
    expect(studies).toHaveLength(1);
    for (const m of studies[0]!.models) {
      expect(m.error).toBeUndefined();
      const f = m.findings!;
      expect(f.noTumourDetected?.headsNotApplicable.length).toBeGreaterThan(0);
      expect(f.heads).toEqual([]);
      expect(f.diagnosis).toBeUndefined();
      expect(f.bidimensional).toBeUndefined();
      expect(f.regions.length).toBeGreaterThan(0);
      expect(f.regions.every((r) => r.volumeMl === 0 && r.voxelCount === 0)).toBe(true);
      for (const r of f.radiomics ?? []) expect(Number.isFinite(r.value)).toBe(true);
      for (const mi of f.modalityImportance ?? []) expect(mi.headDeltas).toEqual({});

      const mdir = join(out, study.study.studyInstanceUid, m.model);
      const names = readdirSync(mdir).sort();
      expect(names).toEqual(['findings.json', 'report-pdf.dcm', 'report.txt', 'seg.dcm', 'sr.dcm']);
      const seg = decodeSeg(readP10(readFileSync(join(mdir, 'seg.dcm'))).dataset);
      expect(seg.frames).toHaveLength(1); // Number of Frames is Type 1: one all-zero frame
      expect(seg.pixelData.every((b) => b === 0)).toBe(true);
      expectTumourFreeSr(join(mdir, 'sr.dcm'), f.noTumourDetected!.headsNotApplicable.length);
      const report = readFileSync(join(mdir, 'report.txt'), 'utf8');
      expect(report).toMatch(/no tumour detected/);
      expect(report).toMatch(/does not prove that there is no tumour/);
      expect(report).not.toMatch(/NaN|undefined/);
      expect(JSON.parse(readFileSync(join(mdir, 'findings.json'), 'utf8')).noTumourDetected).toBeDefined();
      const r = await checkConformance(m.files.filter((p) => p.endsWith('.dcm')));
      expect(r.errors).toBe(0);
    }
  });

  const MODELS = join(__dirname, '../../models');
  const haveModel = existsSync(join(MODELS, 'glioma-mtl', 'model.onnx'));
  (haveModel ? it : it.skip)('`neuro-onc-node process` with the committed glioma model on a full-size tumour-free study exits 0 (was: DS value is not finite: NaN)', async () => {
    // As a new user would: the synth defaults, then process.
    const s = await runCli(['synth', '--tumor', 'none', '--out', join(dir, 'full')]);
    expect(s.code).toBe(0);
    const out = join(dir, 'full-out');
    const r = await runCli(['process', join(dir, 'full', 'dicom'), '--out', out, '--model', 'glioma-mtl', '--models-dir', MODELS]);
    expect(r.stdout).not.toMatch(/FAILED/);
    expect(r.stdout).toMatch(/glioma-mtl: NCR 0\.0 mL, ED 0\.0 mL, ET 0\.0 mL, WT 0\.0 mL/);
    expect(r.code).toBe(0);
    const studyUid = /^study (\S+)/m.exec(r.stdout)![1]!;
    const mdir = join(out, studyUid, 'glioma-mtl');
    // Every head of the package is "not applicable": the four classification heads and the survival head.
    const manifest = JSON.parse(readFileSync(join(MODELS, 'glioma-mtl', 'manifest.json'), 'utf8')) as { outputs: { heads: unknown[] } };
    expectTumourFreeSr(join(mdir, 'sr.dcm'), manifest.outputs.heads.length);
    const c = await checkConformance(readdirSync(mdir).filter((n) => n.endsWith('.dcm')).map((n) => join(mdir, n)));
    expect(c.errors).toBe(0);
  }, 300_000);
});
