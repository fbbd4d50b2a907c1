/**
 * Generator variety for training sets (`synth --training-set N --variety narrow|wide|unseen`): per case, the
 * generator settings that would otherwise be fixed habits of this generator (the atlas anatomy, one contrast
 * table, 5 mm axial 2-D slices, one bias/noise level, lesion sites and shapes per phenotype).
 *
 *  - narrow: nothing drawn here; the study is exactly what `synth` makes without variety (byte-identical).
 *  - wide:   every setting drawn from the WIDE ranges below.
 *  - unseen: a held-out test distribution: each case takes 2-3 of the UNSEEN shifts (settings `wide` never draws:
 *            thicker slices with wider gaps, sagittal 2-D FLAIR, stronger bias, more noise, a contrast curve
 *            outside wide's gamma range, coarser in-plane pixels, stronger blur, larger motion, tumour sizes or
 *            sites at the edges); the rest is drawn as wide. case.json records which shifts a case took.
 *
 * The draw is pure (seeded Rng in, plain record out) so that tests can check the ranges without synthesising.
 */
import type { ModelRole } from '../series-id/roles';
import type { PlaneOrientation } from './acquisition';
import type { TumourKind } from './classes';
import type { Rng } from './random';

export const VARIETY_LEVELS = ['narrow', 'wide', 'unseen'] as const;
export type VarietyLevel = (typeof VARIETY_LEVELS)[number];

export function isVarietyLevel(s: string): s is VarietyLevel {
  return (VARIETY_LEVELS as readonly string[]).includes(s);
}

export type Range = readonly [number, number];

/** Where a tumour is moved to (default: the phenotype's own placement rules). */
export type TumourLocation = 'default' | 'anywhere' | 'cortex' | 'periventricular' | 'infratentorial';
/** Shape variant on top of the phenotype (class labels unchanged). */
export type TumourShape = 'default' | 'multifocal' | 'infiltrative' | 'cystic';

/** Acquisition of one role series: 2-D stack geometry, or the protocol's own 3-D volume (resolution varied). */
export interface SeriesVariety {
  acquisition: '2d' | '3d';
  /** 2-D only: slice plane. */
  orientation?: PlaneOrientation;
  /** 2-D only (3-D keeps isotropic voxels). */
  sliceThicknessMm?: number;
  sliceGapMm?: number;
  /** In-plane pixel size as a factor of the protocol's (FOV kept, matrix follows). */
  pixelFactor: number;
  /** Through-plane slice profile width as a factor of the slice thickness (> 1: neighbouring slices overlap). */
  profileFactor: number;
  /** In-plane Gaussian blur (sigma, mm) before noise: reconstruction filters, partial volume. */
  blurSigmaMm: number;
}

export interface VarietySettings {
  level: Exclude<VarietyLevel, 'narrow'>;
  /** Names of the UNSEEN shifts this case took (empty for wide). */
  unseen: string[];
  /** Maximum smooth deformation (mm; the drawn amplitude is 0.6-1 of it) and head-size range (+/- fraction). */
  anatomy: { deformationMaxMm: number; headScaleDelta: number };
  /** Log-normal sd of the per-case contrast-table jitter, and a power curve on every weighting (1 = none). */
  contrast: { jitterSd: number; gamma: number };
  /** Coil bias field strength (1 = the generator's default). */
  biasStrength: number;
  /** Noise sd multiplier (SNR divided by this). */
  noiseFactor: number;
  series: Record<ModelRole, SeriesVariety>;
  /** Rigid motion between series (null = none). */
  motion: { rotationDeg: number; translationMm: number } | null;
  tumour: { location: TumourLocation; shape: TumourShape; /** Mean radius (mm) of the main lesion; null = as drawn. */ radiusMm: number | null; /** Metastases: scale of every lesion. */ sizeScale: number };
}

/** The ranges `wide` draws from (docs/synthetic-data.md, "Training-set variety"). */
export const WIDE = {
  deformationMaxMm: [1, 5] as Range,
  headScaleDelta: 0.1,
  jitterSd: [0.07, 0.14] as Range,
  gamma: [0.85, 1.15] as Range,
  biasStrength: [0.5, 2.5] as Range,
  noiseFactor: [0.7, 2] as Range,
  sliceThicknessMm: [1, 6] as Range,
  sliceGapMm: [0, 2] as Range,
  pixelFactor: [0.8, 1.4] as Range,
  profileFactor: [1, 1.5] as Range,
  blurSigmaMm: [0, 1] as Range,
  /** Probability of rigid motion between series, and its ranges. */
  motionProb: 0.5,
  rotationDeg: [0.5, 4] as Range,
  translationMm: [0.5, 4] as Range,
  /** Glioma main-lesion radius: diameter ~1 to ~7 cm. */
  gliomaRadiusMm: [5, 35] as Range,
  metsSizeScale: [0.6, 1.8] as Range,
  /** 2-D planes drawn per role (sagittal 2-D is never drawn). */
  orientations2d: ['axial', 'coronal'] as readonly PlaneOrientation[],
  locations: ['default', 'anywhere', 'cortex', 'periventricular'] as readonly TumourLocation[],
};

/** The shifts `unseen` draws from: every value lies outside the corresponding WIDE range. */
export const UNSEEN = {
  thickSlices: { sliceThicknessMm: [7, 8] as Range, sliceGapMm: [2.5, 3] as Range },
  sagittalFlair2d: { orientation: 'sagittal' as PlaneOrientation },
  strongBias: { biasStrength: [3.2, 4] as Range },
  heavyNoise: { noiseFactor: [2.6, 3.2] as Range },
  contrastCurve: { gamma: [[0.6, 0.75], [1.3, 1.45]] as Range[] },
  coarsePixels: { pixelFactor: [1.6, 1.8] as Range },
  strongBlur: { blurSigmaMm: [1.4, 1.8] as Range, profileFactor: [1.8, 2] as Range },
  largeMotion: { rotationDeg: [7, 9] as Range, translationMm: [7, 9] as Range },
  tumourSizeEdge: { gliomaRadiusMm: [[3, 4.5], [37, 42]] as Range[], metsSizeScale: [2.2, 2.6] as Range },
  infratentorial: { location: 'infratentorial' as TumourLocation },
};
export type UnseenShift = keyof typeof UNSEEN;
export const UNSEEN_SHIFTS = Object.keys(UNSEEN) as UnseenShift[];

const ROLES: readonly ModelRole[] = ['t1', 't1ce', 't2', 'flair'];

const draw = (rng: Rng, r: Range): number => rng.uniform(r[0], r[1]);

/** Shapes that keep each WHO entity's phenotype plausible. */
export function shapesFor(kind: TumourKind): TumourShape[] {
  switch (kind) {
    case 'gbm':
      return ['default', 'multifocal', 'infiltrative', 'cystic'];
    case 'astro':
    case 'oligo':
      return ['default', 'infiltrative'];
    case 'mets':
      return ['default', 'cystic'];
    case 'none':
      return ['default'];
  }
}

function drawSeries(rng: Rng, role: ModelRole): SeriesVariety {
  // T2 and FLAIR are 2-D (FLAIR 3-D in a quarter, as clinical protocols), T1/T1ce 2-D in one case in five.
  const twoD = role === 't2' ? true : role === 'flair' ? rng.chance(0.75) : rng.chance(0.2);
  const common = { pixelFactor: draw(rng, WIDE.pixelFactor), profileFactor: draw(rng, WIDE.profileFactor), blurSigmaMm: draw(rng, WIDE.blurSigmaMm) };
  if (!twoD) return { acquisition: '3d', ...common };
  return {
    acquisition: '2d',
    orientation: role === 't2' ? 'axial' : rng.chance(0.8) ? 'axial' : 'coronal',
    sliceThicknessMm: draw(rng, WIDE.sliceThicknessMm),
    sliceGapMm: draw(rng, WIDE.sliceGapMm),
    ...common,
  };
}

/** Wide settings for one case. */
export function drawWide(rng: Rng, kind: TumourKind): VarietySettings {
  const series = {} as Record<ModelRole, SeriesVariety>;
  for (const role of ROLES) series[role] = drawSeries(rng.fork(`series/${role}`), role);
  const moves = rng.chance(WIDE.motionProb);
  return {
    level: 'wide',
    unseen: [],
    anatomy: { deformationMaxMm: draw(rng, WIDE.deformationMaxMm), headScaleDelta: WIDE.headScaleDelta },
    contrast: { jitterSd: draw(rng, WIDE.jitterSd), gamma: draw(rng, WIDE.gamma) },
    biasStrength: draw(rng, WIDE.biasStrength),
    noiseFactor: draw(rng, WIDE.noiseFactor),
    series,
    motion: moves ? { rotationDeg: draw(rng, WIDE.rotationDeg), translationMm: draw(rng, WIDE.translationMm) } : null,
    tumour: {
      location: kind === 'none' ? 'default' : rng.pick(WIDE.locations),
      shape: rng.pick(shapesFor(kind)),
      radiusMm: kind === 'none' || kind === 'mets' ? null : draw(rng, WIDE.gliomaRadiusMm),
      sizeScale: kind === 'mets' ? draw(rng, WIDE.metsSizeScale) : 1,
    },
  };
}

/** Which shifts apply to a kind: tumour shifts need a tumour; metastases already reach the cerebellum in narrow. */
function shiftApplies(k: UnseenShift, kind: TumourKind): boolean {
  if (k === 'tumourSizeEdge') return kind !== 'none';
  if (k === 'infratentorial') return kind === 'gbm' || kind === 'astro' || kind === 'oligo';
  return true;
}

/** Unseen settings: wide, then 2-3 shifts outside wide's ranges. */
export function drawUnseen(rng: Rng, kind: TumourKind): VarietySettings {
  const s = drawWide(rng.fork('base'), kind);
  const r = rng.fork('shifts');
  const pool = UNSEEN_SHIFTS.filter((k) => shiftApplies(k, kind));
  const count = r.int(2, 3);
  const chosen: UnseenShift[] = [];
  while (chosen.length < count) {
    const k = r.pick(pool);
    if (!chosen.includes(k)) chosen.push(k);
  }
  for (const k of chosen) applyShift(s, k, r, kind);
  s.level = 'unseen';
  s.unseen = chosen.sort();
  return s;
}

function applyShift(s: VarietySettings, k: UnseenShift, r: Rng, kind: TumourKind): void {
  switch (k) {
    case 'thickSlices':
      for (const role of ['t2', 'flair'] as const) {
        const sv = s.series[role];
        s.series[role] = { ...sv, acquisition: '2d', orientation: sv.orientation ?? 'axial', sliceThicknessMm: draw(r, UNSEEN.thickSlices.sliceThicknessMm), sliceGapMm: draw(r, UNSEEN.thickSlices.sliceGapMm) };
      }
      return;
    case 'sagittalFlair2d': {
      const sv = s.series.flair;
      s.series.flair = { ...sv, acquisition: '2d', orientation: 'sagittal', sliceThicknessMm: sv.sliceThicknessMm ?? draw(r, WIDE.sliceThicknessMm), sliceGapMm: sv.sliceGapMm ?? draw(r, WIDE.sliceGapMm) };
      return;
    }
    case 'strongBias':
      s.biasStrength = draw(r, UNSEEN.strongBias.biasStrength);
      return;
    case 'heavyNoise':
      s.noiseFactor = draw(r, UNSEEN.heavyNoise.noiseFactor);
      return;
    case 'contrastCurve':
      s.contrast = { ...s.contrast, gamma: draw(r, r.pick(UNSEEN.contrastCurve.gamma)) };
      return;
    case 'coarsePixels':
      for (const role of ROLES) s.series[role] = { ...s.series[role], pixelFactor: draw(r, UNSEEN.coarsePixels.pixelFactor) };
      return;
    case 'strongBlur':
      for (const role of ROLES) {
        s.series[role] = { ...s.series[role], blurSigmaMm: draw(r, UNSEEN.strongBlur.blurSigmaMm), profileFactor: draw(r, UNSEEN.strongBlur.profileFactor) };
      }
      return;
    case 'largeMotion':
      s.motion = { rotationDeg: draw(r, UNSEEN.largeMotion.rotationDeg), translationMm: draw(r, UNSEEN.largeMotion.translationMm) };
      return;
    case 'tumourSizeEdge':
      if (kind === 'mets') s.tumour = { ...s.tumour, sizeScale: draw(r, UNSEEN.tumourSizeEdge.metsSizeScale) };
      else s.tumour = { ...s.tumour, radiusMm: draw(r, r.pick(UNSEEN.tumourSizeEdge.gliomaRadiusMm)) };
      return;
    case 'infratentorial':
      s.tumour = { ...s.tumour, location: 'infratentorial' };
      return;
  }
}

/** The settings for one training case (null for narrow: the generator's own habits). */
export function drawVariety(level: VarietyLevel, rng: Rng, kind: TumourKind): VarietySettings | null {
  if (level === 'narrow') return null;
  return level === 'wide' ? drawWide(rng, kind) : drawUnseen(rng, kind);
}
