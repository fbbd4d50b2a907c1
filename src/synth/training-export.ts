/**
 * Training-set export: many synthetic studies, each pushed through THE node preprocessing (toModelGrid) so that a
 * model trains on exactly what inference will feed it. Per case:
 *   synthesise study (4 role series, no distractors) -> write DICOM in memory -> build series volumes from those
 *   DICOM instances (the same builder the node uses) -> toModelGrid(grid, normalisation) -> labels resampled
 *   (nearest) from the patient-space ground truth onto the model grid.
 * With `roundTrip: false` the acquired volumes are passed to toModelGrid directly (skips DICOM encode/parse; same
 * voxels and geometry, so the result differs only by DICOM's decimal rounding of positions and spacings).
 *
 * On-disk layout (read by training/nonc/export_format.py):
 *   DIR/index.json                 list of cases + grid/normalisation/channel order
 *   DIR/<id>/image.f32             float32 [4, nz, ny, nx] ('kji', i fastest), channels t1, t1ce, t2, flair;
 *                                  a missing channel is all zeros (the normalised mean)
 *   DIR/<id>/labels.u8             uint8 [nz, ny, nx], 0..3 (1 NCR/NET, 2 ED, 3 ET)
 *   DIR/<id>/case.json             id, shape, channels, availability, classes, seed, vendor, grid (+affine), stats;
 *                                  with --variety wide|unseen also `variety` (the drawn settings and what they made)
 *                                  and `registration` (the node's inter-series stage, when the head moved)
 *
 * Variety (variety.ts): `narrow` is the generator as it always was (byte-identical output); `wide` and `unseen`
 * draw per case anatomy, contrast, bias, noise, series geometry, blur, motion and tumour settings. When the head
 * moved between series, the node's own inter-series registration (src/registration/inter-series.ts) runs before the
 * model grid, as the node does before a model, and the labels follow the registration reference's pose.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildSeriesVolume } from '../imaging/build-volume';
import type { GridSpec, NormalisationSpec } from '../imaging/grid-spec';
import { resampleNearest } from '../imaging/resample';
import { toModelGrid, type ModelGridChoice } from '../imaging/to-model-grid';
import { DEFAULT_INTER_SERIES, registerInterSeries, type InterSeriesSettings } from '../registration/inter-series';
import type { RegistrationReport } from '../registration/report';
import { apply as applyMat, compose as composeMat, invert as invertMat } from './geometry';
import type { SeriesVolume, Volume } from '../imaging/volume';
import { MODEL_ROLES, isModelRole, type ModelRole } from '../series-id/roles';
import { isTumourKind, type TumourKind } from './classes';
import { labelVolume } from './ground-truth';
import type { StudySize } from './protocol';
import { Rng } from './random';
import { synthesiseStudy, type SynthStudy } from './study';
import { drawVariety, type VarietyLevel, type VarietySettings } from './variety';
import type { Vendor } from './vendors';

export const CHANNELS: readonly ModelRole[] = MODEL_ROLES;

/**
 * Where the model grid lies for one case when it is not the plain GridSpec around the reference: template space
 * (atlas registration) and/or a skull strip. The CLI wires the node's own registration/model-space here, so a
 * template-space model trains on exactly what the node will feed it.
 */
export type SpacePreparer = (reference: SeriesVolume) => Promise<{ choice: ModelGridChoice; brainMask?: Volume<Uint8Array>; notes?: string[] }>;

export interface PreprocessSpec {
  grid: GridSpec;
  normalisation: NormalisationSpec;
  /** Tried in order as the grid's reference series. */
  referenceRoles: ModelRole[];
}

/** Matches the interim Python export (training/nonc) and the glioma manifests: 2 mm LPS grid around the head. */
export const DEFAULT_PREPROCESS: PreprocessSpec = {
  grid: { spacing: [2, 2, 2], size: [96, 112, 96], orientation: 'LPS', centre: 'head-centroid' },
  normalisation: { method: 'zscore', clipPercentiles: [0.5, 99.5], mask: 'head' },
  referenceRoles: ['t1ce', 't1', 'flair', 't2'],
};

export class TrainingExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingExportError';
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function checkVec(v: unknown, what: string, integer: boolean): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && x > 0 && (!integer || Number.isInteger(x)))) {
    throw new TrainingExportError(`${what} must be three positive ${integer ? 'integers' : 'numbers'}`);
  }
  return v as [number, number, number];
}

/**
 * Reads the preprocessing spec from JSON: either a model manifest (uses preprocessing.space.grid,
 * preprocessing.space.referenceRoles and preprocessing.normalisation) or { grid, normalisation, referenceRoles }.
 */
export function parsePreprocessSpec(json: unknown, source = 'grid JSON'): PreprocessSpec {
  let grid: unknown;
  let norm: unknown;
  let refs: unknown;
  if (isObj(json) && isObj(json.preprocessing)) {
    const p = json.preprocessing;
    grid = isObj(p.space) ? p.space.grid : undefined;
    refs = isObj(p.space) ? p.space.referenceRoles : undefined;
    norm = p.normalisation;
  } else if (isObj(json)) {
    grid = json.grid;
    norm = json.normalisation;
    refs = json.referenceRoles;
  }
  if (!isObj(grid)) throw new TrainingExportError(`${source}: no grid (expected { grid, normalisation } or a model manifest)`);
  const spec: PreprocessSpec = {
    grid: {
      spacing: checkVec(grid.spacing, `${source}: grid.spacing`, false),
      size: checkVec(grid.size, `${source}: grid.size`, true),
      orientation: (['LPS', 'RAS', 'reference-series'] as const).find((o) => o === grid.orientation) ?? fail(`${source}: grid.orientation must be LPS, RAS or reference-series`),
      centre: (['head-centroid', 'volume-centre'] as const).find((c) => c === grid.centre) ?? fail(`${source}: grid.centre must be head-centroid or volume-centre`),
    },
    normalisation: DEFAULT_PREPROCESS.normalisation,
    referenceRoles: DEFAULT_PREPROCESS.referenceRoles,
  };
  if (norm !== undefined) {
    if (!isObj(norm)) throw new TrainingExportError(`${source}: normalisation must be an object`);
    const method = (['zscore', 'none'] as const).find((m) => m === norm.method) ?? fail(`${source}: normalisation.method must be zscore or none`);
    const mask = (['head', 'nonzero', 'all'] as const).find((m) => m === norm.mask) ?? fail(`${source}: normalisation.mask must be head, nonzero or all`);
    const cp = norm.clipPercentiles;
    if (cp !== undefined && !(Array.isArray(cp) && cp.length === 2 && cp.every((x) => typeof x === 'number' && x >= 0 && x <= 100))) {
      fail(`${source}: normalisation.clipPercentiles must be two numbers in 0..100`);
    }
    spec.normalisation = { method, mask, ...(cp ? { clipPercentiles: cp as [number, number] } : {}) };
  }
  if (refs !== undefined) {
    if (!Array.isArray(refs) || !refs.length || !refs.every((r) => typeof r === 'string' && isModelRole(r))) {
      fail(`${source}: referenceRoles must be a non-empty list of t1, t1ce, t2, flair`);
    }
    spec.referenceRoles = refs;
  }
  return spec;
}

function fail(msg: string): never {
  throw new TrainingExportError(msg);
}

export function readPreprocessSpec(path: string): PreprocessSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TrainingExportError(`cannot read grid file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TrainingExportError(`grid file ${path} is not JSON: ${(e as Error).message}`);
  }
  return parsePreprocessSpec(json, path);
}

/** "gbm=0.3,astro=0.25,..." or "gbm,astro" (equal weights). */
export function parseTumourMix(s: string): Array<[TumourKind, number]> {
  const out: Array<[TumourKind, number]> = [];
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [name, w] = part.split('=');
    if (!name || !isTumourKind(name)) throw new TrainingExportError(`--tumor-mix: unknown tumour kind '${name}' (gbm, astro, oligo, mets, none)`);
    const weight = w === undefined ? 1 : Number(w);
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new TrainingExportError(`--tumor-mix: weight of ${name} must be a number >= 0`);
    out.push([name, weight]);
  }
  if (!out.length || out.every(([, w]) => w === 0)) throw new TrainingExportError('--tumor-mix: no tumour kind with a positive weight');
  return out;
}

export const DEFAULT_TUMOUR_MIX: Array<[TumourKind, number]> = [['gbm', 0.3], ['astro', 0.25], ['oligo', 0.2], ['mets', 0.15], ['none', 0.1]];

export interface TrainingSetOptions {
  outDir: string;
  count: number;
  seed: string;
  vendors: Vendor[];
  tumourMix: Array<[TumourKind, number]>;
  /** Probability that each role series is missing from a study (at least one role always remains). */
  dropProb: number;
  size: StudySize;
  spec: PreprocessSpec;
  /** DICOM round trip (default true). */
  roundTrip: boolean;
  /** Template space / skull strip (absent: the GridSpec around the reference series, nothing stripped). */
  space?: { kind: 'grid' | 'template'; skullStrip: boolean; prepare: SpacePreparer };
  /** Only cases with index % shardCount === shardIndex (for parallel processes). */
  shardIndex?: number;
  shardCount?: number;
  /** Generator variety (default narrow: the generator's own habits, byte-identical to before variety existed). */
  variety?: VarietyLevel;
  /** Inter-series registration for cases whose head moved (default: the node's defaults). */
  registration?: InterSeriesSettings;
  onCase?: (summary: CaseSummary) => void;
}

export interface CaseSummary {
  id: string;
  dir: string;
  tumor: TumourKind;
  vendor: Vendor;
  availability: number[];
  classes: Record<string, unknown>;
  /** Wall-clock seconds for the case. */
  seconds: number;
  /** CPU seconds (user + system) of this process for the case: the load-independent cost. */
  cpuSeconds: number;
  /** Wall seconds of the inter-series registration (cases with motion). */
  registrationSeconds?: number;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** What case i is: tumour kind, vendor and missing roles, drawn from the export seed (independent of sharding). */
export function caseChoice(opts: Pick<TrainingSetOptions, 'seed' | 'vendors' | 'tumourMix' | 'dropProb'>, index: number): { id: string; seed: string; tumor: TumourKind; vendor: Vendor; drop: ModelRole[] } {
  const rng = new Rng(`neuro-onc-node/training-set/${opts.seed}/${index}`);
  const tumor = rng.weighted(opts.tumourMix);
  const vendor = rng.pick(opts.vendors);
  let drop: ModelRole[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    drop = MODEL_ROLES.filter(() => rng.chance(opts.dropProb));
    if (drop.length < MODEL_ROLES.length) break;
  }
  if (drop.length === MODEL_ROLES.length) drop = [];
  const id = `case-${String(index).padStart(5, '0')}`;
  return { id, seed: `${opts.seed}-${index}`, tumor, vendor, drop };
}

/** Role volumes as the node builds them: from the study's own DICOM instances. */
async function roleVolumesViaDicom(study: SynthStudy): Promise<Partial<Record<ModelRole, SeriesVolume>>> {
  const out: Partial<Record<ModelRole, SeriesVolume>> = {};
  for (const rec of study.series) {
    if (rec.role === 'other') continue;
    const buffers = study.files.filter((f) => f.path.startsWith(`${rec.folder}/`)).map((f) => new Uint8Array(f.buffer));
    const built = await buildSeriesVolume(buffers);
    out[rec.role] = built.volume;
  }
  return out;
}

/** Role volumes straight from the acquisition (no DICOM encode/parse). */
function roleVolumesDirect(study: SynthStudy): Partial<Record<ModelRole, SeriesVolume>> {
  const out: Partial<Record<ModelRole, SeriesVolume>> = {};
  for (const rec of study.series) {
    if (rec.role === 'other') continue;
    const v = study.roleVolumes[rec.role];
    if (!v) continue;
    const a = v.affine;
    const col = (c: number): [number, number, number] => {
      const n = Math.hypot(a[c]!, a[4 + c]!, a[8 + c]!);
      return [a[c]! / n, a[4 + c]! / n, a[8 + c]! / n];
    };
    out[rec.role] = {
      ...v,
      data: Float32Array.from(v.data),
      seriesInstanceUid: rec.seriesInstanceUid,
      sources: [],
      imageOrientationPatient: [...col(0), ...col(1)],
    };
  }
  return out;
}

/** The variety settings of case i (null for narrow); drawn from their own stream, so narrow choices are unchanged. */
export function caseVariety(opts: Pick<TrainingSetOptions, 'seed' | 'vendors' | 'tumourMix' | 'dropProb' | 'variety'>, index: number): VarietySettings | null {
  const level = opts.variety ?? 'narrow';
  if (level === 'narrow') return null;
  return drawVariety(level, new Rng(`neuro-onc-node/training-set/${opts.seed}/${index}/variety/${level}`), caseChoice(opts, index).tumor);
}

type RoleVolumes = Partial<Record<ModelRole, SeriesVolume>>;

/** Row-major 4x4 of a role series' head motion (identity when it did not move). */
function motionOf(study: SynthStudy, role: ModelRole): Float64Array {
  const m = study.series.find((s) => s.role === role)?.motion?.matrix;
  return m ? Float64Array.from(m) : Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
}

/**
 * How far each series still is, after the registration stage, from where the true motion puts it: max displacement
 * (mm) over the head centre and six points 60 mm from it, between the transform applied and the true one
 * (reference -> series).
 */
export function registrationResidualMm(study: SynthStudy, report: RegistrationReport): Partial<Record<ModelRole, number>> {
  const ref = invertMat(motionOf(study, report.referenceRole));
  const c = study.series.find((s) => s.motion)?.motion?.centre ?? [0, 0, 0];
  const points = [[0, 0, 0], [60, 0, 0], [-60, 0, 0], [0, 60, 0], [0, -60, 0], [0, 0, 60], [0, 0, -60]].map((d) => [c[0]! + d[0]!, c[1]! + d[1]!, c[2]! + d[2]!] as [number, number, number]);
  const out: Partial<Record<ModelRole, number>> = {};
  for (const e of report.series) {
    const truth = composeMat(motionOf(study, e.role), ref);
    // A refused or failed result is not applied: the series keeps its DICOM geometry (identity).
    const t = e.outcome === 'aligned' ? Float64Array.from(e.transform) : Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const worst = Math.max(...points.map((p) => {
      const a = applyMat(t, p);
      const b = applyMat(truth, p);
      return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    }));
    out[e.role] = Math.round(worst * 100) / 100;
  }
  return out;
}

/** Runs the node's inter-series registration when the head moved; labels then follow the reference's pose. */
async function registerMoved(study: SynthStudy, volumes: RoleVolumes, settings: InterSeriesSettings): Promise<{ volumes: RoleVolumes; labelPose: Float64Array | null; record?: Record<string, unknown>; seconds?: number }> {
  if (!study.series.some((s) => s.motion)) return { volumes, labelPose: null };
  const t0 = Date.now();
  const reg = await registerInterSeries({ volumes, settings });
  const seconds = (Date.now() - t0) / 1000;
  const residual = registrationResidualMm(study, reg.report);
  return {
    volumes: reg.volumes,
    labelPose: motionOf(study, reg.report.referenceRole),
    seconds,
    record: {
      referenceRole: reg.report.referenceRole,
      seconds,
      series: reg.report.series.map((e) => ({ role: e.role, outcome: e.outcome, ...(e.reason ? { reason: e.reason } : {}), rotationDeg: e.rotationDeg, translationMm: e.translationMm, residualMm: residual[e.role] })),
      warnings: reg.warnings,
    },
  };
}

/** What the drawn settings made: the study's own record of anatomy, series geometry and tumour. */
function varietyRecord(v: VarietySettings, study: SynthStudy): Record<string, unknown> {
  const f = study.caseModel.plan.features;
  return {
    ...v,
    anatomyDrawn: study.variation ? { amplitudeMm: study.variation.amplitudeMm, headScale: study.variation.headScale } : null,
    seriesDrawn: Object.fromEntries(study.series.filter((s) => isModelRole(s.role) && s.stacks[0]).map((s) => {
      const st = s.stacks[0]!;
      return [s.role, { orientation: st.orientation, sliceThicknessMm: st.sliceThickness, sliceStepMm: st.spacing[2], pixelMm: st.spacing[0], dims: st.dims, ...(s.motion ? { motion: { rotationDeg: s.motion.rotationDeg, translationMm: s.motion.translationMm } } : {}) }];
    })),
    tumourDrawn: { lesionCount: f.lesionCount, lobe: f.lobe, side: f.side, lesionRadiiMm: f.lesionRadiiMm.map((r) => Math.round(r * 10) / 10), enhancement: f.enhancement },
  };
}

export async function exportTrainingCase(opts: TrainingSetOptions, index: number): Promise<CaseSummary> {
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const choice = caseChoice(opts, index);
  const variety = caseVariety(opts, index);
  const study = await synthesiseStudy({
    tumor: choice.tumor, seed: choice.seed, vendor: choice.vendor, drop: choice.drop, size: opts.size,
    distractors: 'none', transferSyntax: 'explicit', multiframe: 'auto', ...(variety ? { variety } : {}),
  });
  const acquired = opts.roundTrip ? await roleVolumesViaDicom(study) : roleVolumesDirect(study);
  const reg = await registerMoved(study, acquired, opts.registration ?? DEFAULT_INTER_SERIES);
  const volumes = reg.volumes;
  const reference = opts.spec.referenceRoles.find((r) => volumes[r]) ?? MODEL_ROLES.find((r) => volumes[r]);
  if (!reference) throw new TrainingExportError(`case ${choice.id}: no role series to build a grid from`);
  const prepared = opts.space ? await opts.space.prepare(volumes[reference]!) : undefined;
  const mg = toModelGrid(volumes, reference, prepared?.choice ?? opts.spec.grid, opts.spec.normalisation, prepared?.brainMask ? { brainMask: prepared.brainMask } : {});
  const n = mg.dims[0] * mg.dims[1] * mg.dims[2];
  const image = new Float32Array(CHANNELS.length * n);
  const availability = CHANNELS.map((role, c) => {
    const ch = mg.channels[role];
    if (!ch) return 0;
    image.set(ch, c * n);
    return 1;
  });
  const truth = labelVolume(study);
  const labelSource = reg.labelPose ? { ...truth, affine: composeMat(reg.labelPose, truth.affine) } : truth;
  const labels = resampleNearest(labelSource, { dims: mg.dims, affine: mg.affine }) as Uint8Array;
  const dir = join(opts.outDir, choice.id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'image.f32'), Buffer.from(image.buffer));
  writeFileSync(join(dir, 'labels.u8'), Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength));
  const plan = study.caseModel.plan;
  const classes: Record<string, unknown> = { ...plan.classes };
  const meta = {
    id: choice.id,
    shape: [mg.dims[2], mg.dims[1], mg.dims[0]],
    axes: 'kji',
    dtype: { image: 'float32', labels: 'uint8' },
    channels: CHANNELS,
    availability,
    classes,
    imagingFeatures: plan.features,
    seed: choice.seed,
    vendor: choice.vendor,
    scanner: { manufacturer: study.scanner.manufacturer, model: study.scanner.model, fieldStrength: study.scanner.fieldStrength },
    dropped: choice.drop,
    referenceRole: reference,
    grid: { ...opts.spec.grid, affine: Array.from(mg.affine) },
    space: opts.space ? { kind: opts.space.kind, skullStrip: opts.space.skullStrip, notes: prepared?.notes ?? [] } : { kind: 'grid', skullStrip: false },
    normalisation: opts.spec.normalisation,
    stats: mg.stats,
    warnings: mg.warnings.map((w) => w.code),
    labelCounts: countLabels(labels),
    roundTrip: opts.roundTrip,
    source: 'neuro-onc-node synth --training-set',
    ...(variety ? { variety: varietyRecord(variety, study) } : {}),
    ...(reg.record ? { registration: reg.record } : {}),
  };
  writeFileSync(join(dir, 'case.json'), JSON.stringify(meta) + '\n');
  const summary: CaseSummary = {
    id: choice.id, dir: choice.id, tumor: choice.tumor, vendor: choice.vendor, availability, classes,
    seconds: (Date.now() - t0) / 1000,
    cpuSeconds: cpuSince(cpu0),
    ...(reg.seconds !== undefined ? { registrationSeconds: reg.seconds } : {}),
  };
  opts.onCase?.(summary);
  return summary;
}

function countLabels(l: Uint8Array): number[] {
  const c = [0, 0, 0, 0];
  for (const v of l) c[v] = (c[v] ?? 0) + 1;
  return c;
}

/** Exports this process' share of the cases (all of them unless sharded). */
export async function exportTrainingCases(opts: TrainingSetOptions): Promise<CaseSummary[]> {
  const out: CaseSummary[] = [];
  const k = opts.shardCount ?? 1;
  const s = opts.shardIndex ?? 0;
  for (let i = 0; i < opts.count; i++) {
    if (i % k !== s) continue;
    out.push(await exportTrainingCase(opts, i));
  }
  return out;
}

/** Roles whose registration the node's stage refused or failed (they keep their motion: labels do not fit them). */
function unregisteredRoles(reg: unknown): string[] {
  const series = (reg as { series?: Array<{ role: string; outcome: string }> }).series ?? [];
  return series.filter((e) => e.outcome !== 'aligned').map((e) => e.role);
}

/** Writes index.json from the case.json files present (after all shards have finished). */
export function writeTrainingIndex(opts: TrainingSetOptions): { cases: number; missing: string[] } {
  const cases: Array<Record<string, unknown>> = [];
  const missing: string[] = [];
  for (let i = 0; i < opts.count; i++) {
    const { id } = caseChoice(opts, i);
    const p = join(opts.outDir, id, 'case.json');
    if (!existsSync(p)) {
      missing.push(id);
      continue;
    }
    const meta = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    cases.push({
      id, dir: id, tumor: (meta.classes as { tumor: string }).tumor, vendor: meta.vendor, availability: meta.availability, classes: meta.classes,
      ...(meta.variety ? { unseen: (meta.variety as { unseen: string[] }).unseen } : {}),
      ...(meta.registration ? { unregistered: unregisteredRoles(meta.registration) } : {}),
    });
  }
  const index = {
    format: 'neuro-onc-node training-set v1',
    intendedUse: 'research use only: synthetic studies from real anatomy (mricron-data ch2); not patient data',
    seed: opts.seed,
    count: opts.count,
    size: opts.size,
    vendors: opts.vendors,
    tumourMix: Object.fromEntries(opts.tumourMix),
    dropProb: opts.dropProb,
    roundTrip: opts.roundTrip,
    ...(opts.variety && opts.variety !== 'narrow' ? { variety: opts.variety } : {}),
    channels: CHANNELS,
    axes: 'kji',
    grid: opts.spec.grid,
    space: opts.space ? { kind: opts.space.kind, skullStrip: opts.space.skullStrip } : { kind: 'grid', skullStrip: false },
    normalisation: opts.spec.normalisation,
    referenceRoles: opts.spec.referenceRoles,
    labels: { 0: 'background', 1: 'NCR/NET', 2: 'ED', 3: 'ET' },
    cases,
  };
  writeFileSync(join(opts.outDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return { cases: cases.length, missing };
}
