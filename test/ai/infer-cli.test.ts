/**
 * `neuro-onc-node infer` as a user runs it: a real child process on a synthetic DICOM study (src/synth, real
 * anatomy from mricron ch2), real series identification, volume building and model-grid resampling (imaging),
 * and a real ONNX model through onnxruntime-node. The test model is the tiny rules model with its grid enlarged to
 * cover a head (it is not trained on these intensities, so only structure and arithmetic are checked here, not
 * segmentation quality).
 */
import { runCli } from '../helpers/run-cli';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';



/* eslint-disable @typescript-eslint/no-explicit-any */
let work: string;
let studyDir: string;
let modelsDir: string;
let truth: any;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'infer-cli-'));
  const study = await synthesiseStudy({ tumor: 'gbm', seed: 'infer-cli-1', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'never' });
  writeStudy(study, join(work, 'study'));
  studyDir = join(work, 'study/dicom');
  truth = JSON.parse(readFileSync(join(work, 'study/ground-truth/truth.json'), 'utf8'));
  modelsDir = join(work, 'models');
  mkdirSync(modelsDir);
  cpSync(join(__dirname, '../fixtures/models/tiny-glioma'), join(modelsDir, 'tiny-glioma'), { recursive: true });
  const mp = join(modelsDir, 'tiny-glioma/manifest.json');
  const m = JSON.parse(readFileSync(mp, 'utf8'));
  m.preprocessing.space.grid.size = [80, 96, 80]; // 2 mm: 160 x 192 x 160 mm around the head centroid
  m.tiling.patchSize = [48, 48, 48];
  writeFileSync(mp, JSON.stringify(m));
}, 240000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('neuro-onc-node infer (child process, synthetic DICOM study)', () => {
  it('identifies the series, runs the model and prints Findings JSON with consistent numbers', async () => {
    const r = await runCli(['infer', studyDir, '--json', '--models-dir', modelsDir, '--model', 'tiny-glioma', '--no-tta', '--no-importance'], { NEURO_ONC__MODELS__INTRA_OP_NUM_THREADS: '1' });
    expect(r.stderr).not.toMatch(/Error|at /);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.modelPackages).toEqual([expect.objectContaining({ name: 'tiny-glioma', ok: true, executionProvider: 'cpu' })]);
    const s = doc.studies[0];
    // Series identification found the four roles the generator wrote.
    for (const role of ['t1', 't1ce', 't2', 'flair']) expect(s.selected[role]).toBeDefined();
    // ...and they are the generator's series for those roles (truth.json: role -> {seriesInstanceUid, ...}).
    for (const [role, t] of Object.entries(truth.roles as Record<string, { seriesInstanceUid: string }>)) {
      if (s.selected[role]) expect(s.selected[role]).toBe(t.seriesInstanceUid);
    }
    const f = s.models[0].findings;
    expect(f.model.name).toBe('tiny-glioma');
    expect(f.missingModalities).toEqual([]);
    // The label map is on the reference series (T1ce first in referenceRoles) and volumes are measured there.
    expect(f.referenceSeries.seriesInstanceUid).toBe(s.selected.t1ce);
    expect(f.segmentation.labelmap.dims).toEqual(f.referenceSeries.dims);
    const vox = f.referenceSeries.spacing.reduce((a: number, b: number) => a * b, 1);
    const counts = f.segmentation.labelmap.voxelsPerLabel as Record<string, number>;
    const wt = f.regions.find((x: any) => x.key === 'WT');
    expect(wt.voxelCount).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    expect(wt.volumeMl).toBeCloseTo((wt.voxelCount * vox) / 1000, 1);
    for (const h of f.heads) expect(h.classes.reduce((a: number, c: any) => a + c.probability, 0)).toBeCloseTo(1, 6);
    expect(f.diagnosis.branches.reduce((a: number, b: any) => a + b.probability, 0)).toBeCloseTo(1, 6);
    expect(f.inputs.map((i: any) => i.role)).toEqual(['t1', 't1ce', 't2', 'flair']);
    expect(f.inputs[0].instances).toBeGreaterThan(10);
    expect(f.radiomics.length).toBeGreaterThan(50);
    expect(f.timings.forward).toBeGreaterThan(0);
  });

  it('refuses clearly when the minimum sequences are absent (exit 2, reason named)', async () => {
    const onlyT1 = join(work, 'only-t1');
    const t1Folder = readdirSync(studyDir).find((d) => /mprage/i.test(d) && !/gd|\+/i.test(d))!;
    cpSync(join(studyDir, t1Folder), join(onlyT1, t1Folder), { recursive: true });
    const r = await runCli(['infer', onlyT1, '--json', '--models-dir', modelsDir, '--model', 'tiny-glioma'], { NEURO_ONC__MODELS__INTRA_OP_NUM_THREADS: '1' });
    expect(r.code).toBe(2);
    const m = JSON.parse(r.stdout).studies[0].models[0];
    expect(m.error.reason).toBe('missing-modalities');
    expect(m.error.message).toMatch(/model tiny-glioma needs flair or t2; present: t1/);
    expect(r.stderr).toMatch(/no model produced findings/);
  });

  it('reports a broken package and an empty folder without crashing', async () => {
    const broken = join(work, 'models-broken');
    cpSync(modelsDir, broken, { recursive: true });
    writeFileSync(join(broken, 'tiny-glioma/model.onnx'), 'not onnx');
    const r = await runCli(['infer', studyDir, '--models-dir', broken, '--model', 'tiny-glioma'], { NEURO_ONC__MODELS__INTRA_OP_NUM_THREADS: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model package .*tiny-glioma skipped \(sha256-mismatch\)/);
    expect(r.stdout).toMatch(/skipped tiny-glioma: requested but the model is not loaded/);
    const empty = mkdtempSync(join(tmpdir(), 'infer-empty-'));
    const e = await runCli(['infer', empty, '--json'], { NEURO_ONC__MODELS__INTRA_OP_NUM_THREADS: '1' });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/no DICOM files found/);
    rmSync(empty, { recursive: true });
  });
});
