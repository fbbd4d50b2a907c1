/**
 * The study protocol: which series a brain-tumour exam contains, in which order, with which geometry, resolution,
 * SNR and timing. Mirrors a clinical tumour protocol (3-plane localizer, 3-D T1, T2 TSE, FLAIR, DWI + ADC, SWI/T2*,
 * DSC perfusion during the contrast bolus, post-contrast 3-D T1, a reformat, a screen save), with the optional
 * series drawn at random so that studies differ. Contrast is injected at the start of DSC (or shortly before T1ce
 * when there is no perfusion), so every post-contrast series is acquired after the injection time.
 */
import type { Vec3 } from '../imaging/volume';
import type { SeriesRole, ModelRole } from '../series-id/roles';
import { TransferSyntax } from '../dicom/constants';
import type { PlaneOrientation, StackSpec } from './acquisition';
import type { SynthWeighting } from './contrasts';
import type { Rng } from './random';
import { seriesHeader, type Scanner, type SeriesDescriptor, type SeriesKind } from './vendors';

export type StudySize = 'full' | 'small';
export type DistractorMode = 'all' | 'random' | 'none';
export type TransferSyntaxChoice = 'explicit' | 'implicit' | 'jpeg-lossless' | 'random';

export interface SeriesPlan {
  kind: SeriesKind;
  /** Role for the node's series identification ('other' for distractors). */
  role: SeriesRole;
  seriesNumber: number;
  header: SeriesDescriptor;
  /** One stack, or three for the 3-plane localizer. Empty for derived series planned from their source. */
  stacks: StackSpec[];
  /** Weighting(s) sampled: DWI samples b0 + b1000 trace, DSC samples the EPI baseline + blood volume. */
  weightings: SynthWeighting[];
  format: 'single-frame' | 'enhanced';
  transferSyntaxUid: string;
  snr: number;
  postContrast: boolean;
  /** Seconds after the study start. */
  startSeconds: number;
  durationSeconds: number;
  /** Source series kind for derived series (ADC from DWI, MPR from T1ce). */
  derivedFrom?: SeriesKind;
  /** DSC: number of time points. */
  temporalPositions?: number;
  /** DWI b-values (s/mm2). */
  bValues?: number[];
}

export interface StudyPlan {
  series: SeriesPlan[];
  /** Seconds after study start when the contrast bolus was injected (null if no contrast series). */
  contrastSeconds: number | null;
}

export interface ProtocolOptions {
  scanner: Scanner;
  size: StudySize;
  /** Model roles to omit (missing-modality studies). */
  drop: ReadonlySet<ModelRole>;
  distractors: DistractorMode;
  transferSyntax: TransferSyntaxChoice;
  /** Head centre in patient coordinates (stacks are centred near it). */
  headCentre: Vec3;
  /** Head pitch (degrees): axial 2-D stacks planned along the AC-PC line follow it. */
  headPitchDeg: number;
  /** Enhanced MR (multi-frame) for 3-D series: as the scanner does ('auto'), never, or always. */
  multiframe: MultiframeMode;
}

export type MultiframeMode = 'auto' | 'never' | 'always';

/** Seconds after the start of DSC perfusion at which the contrast bolus is injected (baseline images first). */
export const DSC_INJECTION_S = 10;

const TS_BY_CHOICE: Record<Exclude<TransferSyntaxChoice, 'random'>, string> = {
  explicit: TransferSyntax.ExplicitVRLittleEndian,
  implicit: TransferSyntax.ImplicitVRLittleEndian,
  'jpeg-lossless': TransferSyntax.JpegLosslessSV1,
};

function jitterCentre(rng: Rng, c: Vec3, mm: number, dz = 0): Vec3 {
  return [c[0] + rng.uniform(-mm, mm), c[1] + rng.uniform(-mm, mm), c[2] + dz + rng.uniform(-mm, mm)];
}

interface StackShape {
  pixel: number;
  matrix: [number, number];
  thickness: number;
  gap: number;
  slices: number;
}

/** 3-D isotropic volume: ~1 mm (full) or 2 mm (small), FOV 256 mm in-plane. */
function volumeShape(size: StudySize, orientation: PlaneOrientation): StackShape {
  const pixel = size === 'full' ? 1 : 2;
  const inPlane = 256 / pixel;
  const slices = Math.round((orientation === 'sagittal' ? 176 : orientation === 'coronal' ? 200 : 176) / pixel);
  return { pixel, matrix: [inPlane, inPlane], thickness: pixel, gap: 0, slices };
}

function stack(orientation: PlaneOrientation, s: StackShape, centre: Vec3, rng: Rng, oblique: Vec3 = [0, 0, 0]): StackSpec {
  return {
    orientation, obliqueDeg: oblique, pixelSpacing: [s.pixel, s.pixel], matrix: s.matrix, sliceThickness: s.thickness,
    sliceGap: s.gap, slices: s.slices, centre, reverse: rng.chance(0.3),
  };
}

/** Plans the study. Series numbers and times are assigned in acquisition order. */
export function planStudy(rng: Rng, o: ProtocolOptions): StudyPlan {
  const r = rng.fork('protocol');
  const { scanner, size } = o;
  const full = size === 'full';
  const ts = TS_BY_CHOICE[o.transferSyntax === 'random'
    ? r.weighted([['explicit', 0.7], ['implicit', 0.15], ['jpeg-lossless', 0.15]] as const)
    : o.transferSyntax];
  const want = (p: number): boolean => o.distractors === 'all' || (o.distractors === 'random' && r.chance(p));
  const acPc = (): Vec3 => (r.chance(0.6) ? [0.8 * o.headPitchDeg + r.uniform(-3, 3), 0, 0] : [0, 0, 0]);
  const c = o.headCentre;
  const planned: Array<Omit<SeriesPlan, 'seriesNumber' | 'startSeconds' | 'header'> & { headerFor: () => SeriesDescriptor; gap?: number }> = [];
  const add = (p: (typeof planned)[number]): void => {
    planned.push(p);
  };
  const hdr = (kind: SeriesKind, orientation: PlaneOrientation, threeD: boolean) => () =>
    seriesHeader(kind, { rng: r.fork(`header/${kind}`), scanner, orientation, threeD });
  const enhanced3d = o.multiframe === 'always' || (o.multiframe === 'auto' && scanner.writesEnhanced) ? 'enhanced' : 'single-frame';

  if (want(0.95)) {
    const loc: StackShape = { pixel: full ? 1 : 2, matrix: full ? [256, 256] : [128, 128], thickness: 7, gap: 3, slices: scanner.vendor === 'ge' ? 5 : 3 };
    add({
      kind: 'localizer', role: 'other', headerFor: hdr('localizer', 'sagittal', false),
      stacks: (['sagittal', 'coronal', 'axial'] as const).map((ori) => stack(ori, loc, jitterCentre(r, c, 5), r)),
      weightings: ['t1'], format: 'single-frame', transferSyntaxUid: ts, snr: r.uniform(10, 16), postContrast: false,
      durationSeconds: 20,
    });
  }
  const t1Ori: PlaneOrientation = r.chance(0.6) ? 'sagittal' : 'axial';
  if (!o.drop.has('t1')) {
    add({
      kind: 't1', role: 't1', headerFor: hdr('t1', t1Ori, true),
      stacks: [stack(t1Ori, volumeShape(size, t1Ori), jitterCentre(r, c, 5, 10), r, [r.uniform(-4, 4), 0, 0])],
      weightings: ['t1'], format: enhanced3d, transferSyntaxUid: ts, snr: r.uniform(22, 38), postContrast: false,
      durationSeconds: r.int(260, 330),
    });
  }
  const middle: typeof planned = [];
  if (!o.drop.has('t2')) {
    const shape: StackShape = full
      ? (r.chance(0.5) ? { pixel: 0.45, matrix: [512, 512], thickness: r.pick([4, 5]), gap: r.pick([0.4, 1, 1.5]), slices: 0 }
        : { pixel: 0.9, matrix: [256, 256], thickness: r.pick([4, 5]), gap: r.pick([0, 1, 1.5]), slices: 0 })
      : { pixel: 1.8, matrix: [128, 128], thickness: 5, gap: 1, slices: 0 };
    shape.slices = Math.round(150 / (shape.thickness + shape.gap));
    middle.push({
      kind: 't2', role: 't2', headerFor: hdr('t2', 'axial', false),
      stacks: [stack('axial', shape, jitterCentre(r, c, 5, 12), r, acPc())],
      weightings: ['t2'], format: 'single-frame', transferSyntaxUid: ts, snr: r.uniform(28, 48), postContrast: false,
      durationSeconds: r.int(140, 210),
    });
  }
  if (!o.drop.has('flair')) {
    const variant = r.weighted([['axial', 0.5], ['coronal', 0.15], ['oblique', 0.1], ['3d', 0.25]] as const);
    const threeD = variant === '3d';
    const ori: PlaneOrientation = threeD ? 'sagittal' : variant === 'coronal' ? 'coronal' : 'axial';
    const shape: StackShape = threeD ? volumeShape(size, 'sagittal')
      : full ? { pixel: 0.9, matrix: [256, 256], thickness: 5, gap: r.pick([0, 1]), slices: 0 }
      : { pixel: 1.8, matrix: [128, 128], thickness: 5, gap: 1, slices: 0 };
    if (!threeD) shape.slices = Math.round((ori === 'coronal' ? 170 : 150) / (shape.thickness + shape.gap));
    const oblique: Vec3 = variant === 'oblique' ? [r.uniform(-25, 25), r.uniform(-15, 15), 0] : ori === 'axial' ? acPc() : [0, 0, 0];
    middle.push({
      kind: 'flair', role: 'flair', headerFor: hdr('flair', ori, threeD),
      stacks: [stack(ori, shape, jitterCentre(r, c, 5, ori === 'axial' ? 12 : 0), r, oblique)],
      weightings: ['flair'], format: threeD ? enhanced3d : 'single-frame', transferSyntaxUid: ts,
      snr: threeD ? r.uniform(18, 28) : r.uniform(22, 38), postContrast: false, durationSeconds: threeD ? r.int(300, 380) : r.int(170, 260),
    });
  }
  if (want(0.9)) {
    const shape: StackShape = full ? { pixel: 1.8, matrix: [128, 128], thickness: 5, gap: 1, slices: 25 }
      : { pixel: 3.6, matrix: [64, 64], thickness: 5, gap: 1, slices: 25 };
    middle.push({
      kind: 'dwi', role: 'other', headerFor: hdr('dwi', 'axial', false),
      stacks: [stack('axial', shape, jitterCentre(r, c, 5, 12), r, acPc())], weightings: ['b0', 'b1000'],
      format: 'single-frame', transferSyntaxUid: ts, snr: r.uniform(14, 24), postContrast: false, durationSeconds: r.int(60, 120),
      bValues: [0, 1000],
    });
  }
  if (want(0.6)) {
    const shape: StackShape = full ? { pixel: 0.9, matrix: [256, 256], thickness: 2, gap: 0, slices: 72 }
      : { pixel: 1.8, matrix: [128, 128], thickness: 3, gap: 0, slices: 48 };
    middle.push({
      kind: 'swi', role: 'other', headerFor: hdr('swi', 'axial', true),
      stacks: [stack('axial', shape, jitterCentre(r, c, 5, 12), r, acPc())], weightings: ['t2star'],
      format: 'single-frame', transferSyntaxUid: ts, snr: r.uniform(18, 30), postContrast: false, durationSeconds: r.int(240, 330),
    });
  }
  // T2, FLAIR, DWI and SWI come in site-specific order.
  for (let i = middle.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [middle[i], middle[j]] = [middle[j]!, middle[i]!];
  }
  planned.push(...middle);
  const dsc = want(0.5);
  if (dsc) {
    const shape: StackShape = full ? { pixel: 1.8, matrix: [128, 128], thickness: 5, gap: 1.5, slices: 20 }
      : { pixel: 3.6, matrix: [64, 64], thickness: 5, gap: 1.5, slices: 12 };
    add({
      kind: 'dsc', role: 'other', headerFor: hdr('dsc', 'axial', false),
      stacks: [stack('axial', shape, jitterCentre(r, c, 5, 15), r, acPc())], weightings: ['t2star', 'cbv'],
      format: 'single-frame', transferSyntaxUid: ts, snr: r.uniform(15, 25), postContrast: true,
      durationSeconds: 90, temporalPositions: full ? 40 : 10, gap: 30,
    });
  }
  const t1ceOri: PlaneOrientation = r.chance(0.75) ? t1Ori : t1Ori === 'sagittal' ? 'axial' : 'sagittal';
  if (!o.drop.has('t1ce')) {
    add({
      kind: 't1ce', role: 't1ce', headerFor: hdr('t1ce', t1ceOri, true),
      stacks: [stack(t1ceOri, volumeShape(size, t1ceOri), jitterCentre(r, c, 5, 10), r, [r.uniform(-4, 4), 0, 0])],
      weightings: ['t1ce'], format: enhanced3d, transferSyntaxUid: ts, snr: r.uniform(22, 38), postContrast: true,
      durationSeconds: r.int(260, 330), gap: dsc ? 20 : 90,
    });
    if (want(0.5)) {
      const ori: PlaneOrientation = t1ceOri === 'sagittal' ? r.pick(['coronal', 'axial'] as const) : 'coronal';
      const shape: StackShape = full ? { pixel: 1, matrix: [240, 240], thickness: 3, gap: 0, slices: 50 }
        : { pixel: 2, matrix: [120, 120], thickness: 4, gap: 0, slices: 38 };
      add({
        kind: 'mpr', role: 'other', headerFor: () => seriesHeader('mpr', { rng: r.fork('header/mpr'), scanner, orientation: ori, threeD: true }),
        stacks: [stack(ori, shape, jitterCentre(r, c, 3, 10), r)], weightings: [], format: 'single-frame', transferSyntaxUid: ts,
        snr: 0, postContrast: true, durationSeconds: 0, derivedFrom: 't1ce', gap: 40,
      });
    }
  }
  if (want(0.4)) {
    add({
      kind: 'screenshot', role: 'other', headerFor: hdr('screenshot', 'axial', false), stacks: [], weightings: [],
      format: 'single-frame', transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, snr: 0, postContrast: false,
      durationSeconds: 0, gap: 60,
    });
  }

  // Times and numbers in acquisition order; ADC follows its DWI directly.
  const series: SeriesPlan[] = [];
  let t = r.int(30, 90);
  let contrastSeconds: number | null = null;
  let n = 0;
  const number = (): number => {
    n++;
    return scanner.vendor === 'philips' ? 100 * n + 1 : n;
  };
  for (const p of planned) {
    const { headerFor, gap, ...rest } = p;
    t += gap ?? r.int(15, 60);
    if (p.kind === 'dsc' && contrastSeconds === null) contrastSeconds = t + DSC_INJECTION_S;
    if (p.kind === 't1ce' && contrastSeconds === null) contrastSeconds = t - r.int(40, 80);
    const header = headerFor();
    const sp: SeriesPlan = { ...rest, header, seriesNumber: number(), startSeconds: t };
    series.push(sp);
    t += p.durationSeconds;
    if (p.kind === 'dwi') {
      const adcHeader = seriesHeader('adc', { rng: r.fork('header/adc'), scanner, orientation: 'axial', threeD: false, sourceDescription: header.description });
      series.push({
        kind: 'adc', role: 'other', seriesNumber: scanner.vendor === 'philips' ? sp.seriesNumber + 1 : number(), header: adcHeader,
        stacks: [], weightings: [], format: 'single-frame', transferSyntaxUid: ts, snr: 0, postContrast: false,
        startSeconds: t + 5, durationSeconds: 0, derivedFrom: 'dwi',
      });
    }
    if (p.kind === 'mpr') {
      const src = series.find((s) => s.kind === 't1ce');
      sp.header = seriesHeader('mpr', { rng: r.fork('header/mpr'), scanner, orientation: p.stacks[0]!.orientation, threeD: true, sourceDescription: src?.header.description });
    }
  }
  return { series, contrastSeconds };
}
