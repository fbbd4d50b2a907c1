/** @jest-environment ./test/ai/ort-environment.js */
/**
 * Brain extraction and template space on synthetic studies whose anatomy is NOT the atlas (smooth random
 * deformation up to 4 mm, head size +/- 8 %, a glioma with mass effect): bounded to two 2 mm studies.
 *  - atlas brain extraction (Colin27 affine + B-spline, elastix WebAssembly): Dice >= 0.95 against the ground-truth
 *    brain mask (brain + tumour) and no tumour voxel cut out (>= 99.5 % of them inside the mask);
 *  - PLUMBING, NOT ACCURACY: models/examples/nnunet-brats.manifest.json is accepted and runs end to end with a
 *    random-weight ONNX of its shapes (test/fixtures/models/nnunet-brats-plumbing): template grid 240x240x155 1 mm
 *    placed by the atlas registration, skull-stripped, z-scored over non-zero voxels, sliding window, regions mapped
 *    back to the display grid. Its segmentation is meaningless; only shapes, geometry and flow are checked.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSpace } from '../../src/ai/inference';
import { parseManifest } from '../../src/ai/manifest';
import { loadPackage, sha256File, type LoadedModel } from '../../src/ai/registry';
import { configSchema } from '../../src/config/schema';
import { resampleNearest } from '../../src/imaging/resample';
import type { SeriesVolume, Vec3 } from '../../src/imaging/volume';
import { analysePrepared } from '../../src/pipeline/analyse';
import { prepareCase } from '../../src/pipeline/prepare';
import { cachedAtlasExtraction } from '../../src/registration/model-space';
import type { StudyClassification } from '../../src/series-id/classify';
import type { ModelRole } from '../../src/series-id/roles';
import { brainMaskVolume } from '../../src/synth/ground-truth';
import { synthesiseStudy, type SynthStudy } from '../../src/synth/study';

const ROOT = join(__dirname, '../..');
const ROLES: ModelRole[] = ['t1', 't1ce', 't2', 'flair'];

interface Case {
  study: SynthStudy;
  volumes: Partial<Record<ModelRole, SeriesVolume>>;
}

function asSeries(s: SynthStudy): Case['volumes'] {
  const out: Case['volumes'] = {};
  for (const role of ROLES) {
    const v = s.roleVolumes[role];
    const rec = s.series.find((r) => r.role === role);
    if (!v || !rec) continue;
    const a = v.affine;
    const col = (c: number): Vec3 => [a[c]! / v.spacing[c]!, a[4 + c]! / v.spacing[c]!, a[8 + c]! / v.spacing[c]!];
    out[role] = {
      ...v,
      seriesInstanceUid: rec.seriesInstanceUid,
      sources: Array.from({ length: v.dims[2] }, (_, k) => ({ sopClassUid: rec.sopClassUid, sopInstanceUid: `${rec.seriesInstanceUid}.${k + 1}`, imagePositionPatient: [a[2]! * k + a[3]!, a[6]! * k + a[7]!, a[10]! * k + a[11]!] as Vec3 })),
      imageOrientationPatient: [...col(0), ...col(1)] as SeriesVolume['imageOrientationPatient'],
    };
  }
  return out;
}

const cases: Case[] = [];
beforeAll(async () => {
  for (const [seed, tumor] of [['be-1', 'gbm'], ['be-2', 'astro']] as const) {
    const study = await synthesiseStudy({ tumor, seed, vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit', anatomyVariation: 4 });
    cases.push({ study, volumes: asSeries(study) });
  }
}, 600_000);

describe('atlas brain extraction on deformed, scaled anatomies with tumours', () => {
  it.each([0, 1])('case %i: Dice >= 0.95 against the ground-truth brain mask, tumour kept', async (n) => {
    const { study, volumes } = cases[n]!;
    const ref = volumes.t1ce!;
    const be = await cachedAtlasExtraction(ref);
    const gt = brainMaskVolume(study);
    const grid = { dims: ref.dims, affine: ref.affine };
    const truth = resampleNearest(gt, grid) as Uint8Array;
    const tumour = resampleNearest({ ...gt, data: study.caseModel.labels }, grid) as Uint8Array;
    let inter = 0, a = 0, b = 0, tum = 0, kept = 0;
    for (let v = 0; v < truth.length; v++) {
      if (truth[v]) a++;
      if (be.mask.data[v]) b++;
      if (truth[v] && be.mask.data[v]) inter++;
      if (tumour[v]) {
        tum++;
        if (be.mask.data[v]) kept++;
      }
    }
    const d = (2 * inter) / (a + b);
    process.stdout.write(`brain extraction ${study.seed} (${study.caseModel.plan.classes.integratedDiagnosis}): Dice ${d.toFixed(4)}, tumour kept ${kept}/${tum}, ${(be.elapsedMs / 1000).toFixed(1)} s; ${be.description}\n`);
    expect(d).toBeGreaterThanOrEqual(0.95);
    expect(tum).toBeGreaterThan(100);
    expect(kept / tum).toBeGreaterThanOrEqual(0.995);
  }, 600_000);
});

describe('nnunet-brats example manifest (PLUMBING with a random-weight ONNX, not accuracy)', () => {
  let dir: string;
  let model: LoadedModel;
  beforeAll(async () => {
    const raw = JSON.parse(readFileSync(join(ROOT, 'models/examples/nnunet-brats.manifest.json'), 'utf8'));
    dir = mkdtempSync(join(tmpdir(), 'nnunet-plumbing-'));
    const onnx = join(ROOT, 'test/fixtures/models/nnunet-brats-plumbing/model.onnx');
    copyFileSync(onnx, join(dir, 'model.onnx'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...raw, model: { file: 'model.onnx', sha256: sha256File(onnx) } }));
    model = await loadPackage(dir, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  });
  afterAll(async () => {
    await model?.session.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the example manifest is accepted: template space is produced by the node, with a stand-in warning', () => {
    const m = parseManifest(JSON.parse(readFileSync(join(ROOT, 'models/examples/nnunet-brats.manifest.json'), 'utf8')));
    const w = checkSpace(m);
    expect(w.join('\n')).toMatch(/Colin27/);
  });

  it('plumbing only (random weights): runs on the registered 240x240x155 grid and maps regions back to the display grid', async () => {
    const { study, volumes } = cases[0]!;
    const classification = { series: [], selected: Object.fromEntries(ROLES.map((r) => [r, volumes[r]!.seriesInstanceUid])), missing: [] } as unknown as StudyClassification;
    const prepared = await prepareCase(model, classification, async (role) => ({ volume: volumes[role] as SeriesVolume<Float32Array>, warnings: [], spacing: {} as never }));
    const g = prepared.grid;
    expect(g.dims).toEqual([240, 240, 155]);
    expect(g.spacing).toEqual([1, 1, 1]);
    // Registered: the grid is not axis-aligned in the patient (the synthetic head is rotated).
    expect(Math.abs(g.affine[1]!) + Math.abs(g.affine[2]!) + Math.abs(g.affine[4]!)).toBeGreaterThan(0.01);
    // Skull-stripped: every channel is exactly 0 outside the brain mask, z-scored inside.
    expect(g.brainMask).toBeDefined();
    for (const r of ROLES) {
      const c = g.channels[r]!;
      let outside = 0, sum = 0, n = 0;
      for (let v = 0; v < c.length; v++) {
        if (!g.brainMask![v] && c[v] !== 0) outside++;
        if (g.brainMask![v] && c[v] !== 0) {
          sum += c[v]!;
          n++;
        }
      }
      expect(outside).toBe(0);
      expect(Math.abs(sum / n)).toBeLessThan(0.05);
    }
    expect(prepared.labelsFromMappedProbabilities).toBe(true);
    const cfg = configSchema.parse({});
    const f = await analysePrepared(model, study.study.studyInstanceUid, prepared, cfg, { tta: false, modalityImportance: false });
    const ref = volumes.t1ce!;
    expect(f.segmentation?.labelmap.dims).toEqual(ref.dims);
    expect(Array.from(f.segmentation!.labelmap.affine)).toEqual(Array.from(ref.affine));
    expect(f.spatialPreprocessing?.join('\n')).toMatch(/Colin27.*SRI24/);
    expect(f.spatialPreprocessing?.join('\n')).toMatch(/brain extraction: atlas/);
    process.stdout.write(`nnunet-brats plumbing: ${JSON.stringify(f.timings)}\n`);
  }, 600_000);
});
