/**
 * Child process of template-space.test.ts (run outside jest: synthesis and 8.9 M-voxel resampling are many times
 * slower inside jest's VM sandbox on this machine). Synthesises two 2 mm studies with anatomy variation, measures
 * atlas brain extraction against the ground-truth brain mask, then runs the nnunet-brats example manifest with a
 * random-weight ONNX of its shapes (plumbing) on the first one. Prints one JSON object on stdout.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSpace } from '../../src/ai/inference';
import { parseManifest } from '../../src/ai/manifest';
import { loadPackage, sha256File } from '../../src/ai/registry';
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
type Volumes = Partial<Record<ModelRole, SeriesVolume>>;

function asSeries(s: SynthStudy): Volumes {
  const out: Volumes = {};
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

async function brainExtraction(study: SynthStudy, volumes: Volumes): Promise<Record<string, unknown>> {
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
  return { seed: study.seed, diagnosis: study.caseModel.plan.classes.integratedDiagnosis, headScale: study.variation?.headScale, dice: (2 * inter) / (a + b), tumourVoxels: tum, tumourKept: kept, seconds: be.elapsedMs / 1000, description: be.description };
}

async function plumbing(study: SynthStudy, volumes: Volumes): Promise<Record<string, unknown>> {
  const raw = JSON.parse(readFileSync(join(ROOT, 'models/examples/nnunet-brats.manifest.json'), 'utf8'));
  const spaceWarnings = checkSpace(parseManifest(raw));
  const dir = mkdtempSync(join(tmpdir(), 'nnunet-plumbing-'));
  try {
    const onnx = join(ROOT, 'test/fixtures/models/nnunet-brats-plumbing/model.onnx');
    copyFileSync(onnx, join(dir, 'model.onnx'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...raw, model: { file: 'model.onnx', sha256: sha256File(onnx) } }));
    const model = await loadPackage(dir, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    const classification = { series: [], selected: Object.fromEntries(ROLES.map((r) => [r, volumes[r]!.seriesInstanceUid])), missing: [] } as unknown as StudyClassification;
    const prepared = await prepareCase(model, classification, async (role) => ({ volume: volumes[role] as SeriesVolume<Float32Array>, warnings: [], spacing: {} as never }));
    const g = prepared.grid;
    const channels: Record<string, { outsideNonZero: number; meanInside: number; sdInside: number }> = {};
    for (const r of ROLES) {
      const c = g.channels[r]!;
      let outside = 0, sum = 0, ss = 0, n = 0;
      for (let v = 0; v < c.length; v++) {
        if (!g.brainMask![v] && c[v] !== 0) outside++;
        if (g.brainMask![v] && c[v] !== 0) {
          sum += c[v]!;
          ss += c[v]! * c[v]!;
          n++;
        }
      }
      channels[r] = { outsideNonZero: outside, meanInside: sum / n, sdInside: Math.sqrt(ss / n - (sum / n) ** 2) };
    }
    // Radiomics of a random-weight segmentation would only cost time.
    const cfg = configSchema.parse({ models: { radiomics: false } });
    const f = await analysePrepared(model, study.study.studyInstanceUid, prepared, cfg, { tta: false, modalityImportance: false });
    await model.session.release();
    const ref = volumes.t1ce!;
    return {
      spaceWarnings,
      gridDims: g.dims,
      gridSpacing: g.spacing,
      gridAffine: Array.from(g.affine),
      brainMask: !!g.brainMask,
      channels,
      labelsFromMappedProbabilities: prepared.labelsFromMappedProbabilities,
      labelmapDims: f.segmentation?.labelmap.dims,
      labelmapOnReference: !!f.segmentation && f.segmentation.labelmap.affine.every((x, i) => x === ref.affine[i]) && f.segmentation.labelmap.dims.every((d, i) => d === ref.dims[i]),
      referenceDims: ref.dims,
      spatialPreprocessing: f.spatialPreprocessing,
      timings: f.timings,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = { brainExtraction: [] };
  const cases: Array<{ study: SynthStudy; volumes: Volumes }> = [];
  for (const [seed, tumor] of [['be-1', 'gbm'], ['be-2', 'astro']] as const) {
    const study = await synthesiseStudy({ tumor, seed, vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit', anatomyVariation: 4 });
    cases.push({ study, volumes: asSeries(study) });
  }
  for (const c of cases) (out.brainExtraction as unknown[]).push(await brainExtraction(c.study, c.volumes));
  if (!process.argv.includes('--no-plumbing')) out.plumbing = await plumbing(cases[0]!.study, cases[0]!.volumes);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
