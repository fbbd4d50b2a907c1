/**
 * Sequence-timing rules (TR/TE/TI/flip angle), field-strength aware. They come last in the base-contrast cascade
 * because timings overlap between classes; they also confirm or contradict the other sources.
 *
 * Ranges: NILS p05–p95 over 400 K series (SE T1w TR 400–865 / TE 7–21; SE T2w TR 1000–7000 / TE 61–388;
 * T1-FLAIR TE < 40; IR by TI: < 300 STIR, 300–1500 T1w, > 1500 FLAIR), SWANe (FLAIR TI > 1550 and TR > 3500; 3D T1
 * GRE TE < 10, TR < 25, flip ≥ 8), Flywheel (T2: TE > 50, TR > 2000) and clinical practice at 1.5 T and 3 T:
 * T1 is longer at 3 T, so T1 spin-echo TR and the STIR inversion time are longer there.
 */
import type { SeriesDescriptor } from './series-descriptor';
import type { Opinion, SequenceFamily } from './types';
import type { FieldBand, Vendor } from './vendor';

export interface PhysicsRanges {
  label: string;
  /** Longest TR of a T1-weighted (turbo) spin echo, ms. */
  t1SpinEchoTrMax: number;
  /** Inversion times below this null fat (STIR), ms. */
  stirTiMax: number;
  /** Inversion times from this null fluid (FLAIR), ms. */
  flairTiMin: number;
  /** Gradient echoes with TE from this are T2*-weighted, ms. */
  t2StarTeMin: number;
}

export const PHYSICS_RANGES: Record<FieldBand, PhysicsRanges> = {
  low: { label: '1.5 T ranges', t1SpinEchoTrMax: 900, stirTiMax: 300, flairTiMin: 1500, t2StarTeMin: 15 },
  high: { label: '3 T ranges', t1SpinEchoTrMax: 1300, stirTiMax: 350, flairTiMin: 1500, t2StarTeMin: 12 },
  unknown: { label: 'ranges for unknown field strength', t1SpinEchoTrMax: 1300, stirTiMax: 300, flairTiMin: 1500, t2StarTeMin: 15 },
};

/** Field-independent limits. */
export const LIMITS = {
  /** T2 (T)SE: TR ≥ 2000 and TE ≥ 60 (NILS p05 TE 61; Flywheel TE > 50, TR > 2000). */
  t2TrMin: 2000,
  t2TeMin: 60,
  /** Short TE of T1/PD spin echo. */
  shortTeMax: 30,
  /** PD: long TR, short TE. */
  pdTrMin: 1500,
  pdTeMax: 35,
  /** T1 inversion recovery (T1-FLAIR, MPRAGE): TE below this (NILS: T1-FLAIR TE < 40). */
  t1IrTeMax: 40,
  /** FLAIR needs a TR long enough for the inversion (SWANe: TR > 3500). */
  flairTrMin: 3500,
  /** FLAIR whose TI tag is missing (old GE "RM" FLAIR: TR 10002, TE 159.5): only a very long TR with a long TE. */
  flairNoTiTrMin: 8500,
  flairNoTiTeMin: 80,
  /** Spoiled/IR-prepared 3D GRE (MPRAGE readout, Philips TFE TR ≈ 7.6 ms, GE BRAVO): TR < 100, TE ≤ 8. */
  greTrMax: 100,
  greT1TeMax: 8,
  greT1FlipMin: 5,
} as const;

const fmt = (n: number): string => String(Math.round(n * 100) / 100);

/** Broad sequence family from ScanningSequence, then vendor sequence names, then Philips ImageType. */
export function sequenceFamily(h: SeriesDescriptor, sequence: string, vendor: Vendor): SequenceFamily | undefined {
  const ss = h.scanningSequence ?? [];
  if (ss.includes('EP')) return 'EPI';
  if (ss.includes('IR')) return 'IR';
  if (ss.includes('GR')) return 'GRE';
  if (ss.includes('SE')) return 'SE';
  const names = [sequence, (h.gePulseSequenceName ?? '').toLowerCase(), (h.philipsScanningTechnique ?? '').toLowerCase(), (h.pulseSequenceName ?? '').toLowerCase()].join(' ');
  if (/(^|\s)(ep|epi|epfid|epse|ep_|ep2d)/.test(names)) return 'EPI';
  if (/(^|\s)(tir|ir|irtse|flair)/.test(names)) return 'IR';
  if (/(^|\s)(tfl|fl[23]d|fgre|efgre|spgr|fspgr|gre|ffe|tfe|t1ffe|t1tfe|swi)/.test(names)) return 'GRE';
  if (/(^|\s)(tse|se|fse|frfse|spc|cube|t2tse|t1se|h2d)/.test(names)) return 'SE';
  if (vendor === 'philips') {
    const it = h.imageType ?? [];
    if (it.includes('M_IR') || it.includes('IR')) return 'IR';
    if (it.includes('M_FFE') || it.includes('FFE') || it.includes('M_TFE')) return 'GRE';
    if (it.includes('M_SE') || it.includes('SE')) return 'SE';
  }
  return undefined;
}

/** TI-based reading of an inversion-recovery series: STIR, T1-weighted IR or FLAIR. */
export function inversionOpinion(h: SeriesDescriptor, band: FieldBand, what: string): Opinion | null {
  const r = PHYSICS_RANGES[band];
  const ti = h.inversionTime;
  const tr = h.repetitionTime;
  const te = h.echoTime;
  if (ti == null || ti <= 0) return null;
  const t = `${what} with TI ${fmt(ti)} ms${tr != null ? `, TR ${fmt(tr)}` : ''}${te != null ? `, TE ${fmt(te)}` : ''} (${r.label})`;
  if (ti < r.stirTiMax) return { contrast: 'STIR', confidence: 0.8, source: 'physics', fromTimings: true, reason: `${t}: TI < ${r.stirTiMax} nulls fat → STIR` };
  if (ti >= r.flairTiMin && (tr == null || tr >= LIMITS.flairTrMin)) {
    return { contrast: 'FLAIR', confidence: 0.8, source: 'physics', fromTimings: true, reason: `${t}: TI ≥ ${r.flairTiMin} nulls fluid → FLAIR`, byInversionTime: true };
  }
  if (ti < r.flairTiMin && (te == null || te < LIMITS.t1IrTeMax)) {
    return { contrast: 'T1', confidence: 0.75, source: 'physics', fromTimings: true, reason: `${t}: TI ${r.stirTiMax}–${r.flairTiMin} with short TE → T1-weighted IR (T1-FLAIR/MPRAGE)` };
  }
  return null;
}

/** TR/TE reading of a spin-echo (or unknown) series. */
export function spinEchoOpinion(h: SeriesDescriptor, band: FieldBand, what: string, confidence: number): Opinion | null {
  const r = PHYSICS_RANGES[band];
  const tr = h.repetitionTime;
  const te = h.echoTime;
  if (tr == null || te == null) return null;
  const t = `${what} TR ${fmt(tr)} ms, TE ${fmt(te)} ms (${r.label})`;
  if (tr >= LIMITS.t2TrMin && te >= LIMITS.t2TeMin) {
    const noTi = h.inversionTime == null && !(h.scanningSequence ?? []).includes('IR');
    if (noTi && tr >= LIMITS.flairNoTiTrMin && te >= LIMITS.flairNoTiTeMin) {
      return { contrast: 'FLAIR', confidence: 0.55, source: 'physics', fromTimings: true, reason: `${t}: very long TR with long TE and no inversion time recorded → probably FLAIR` };
    }
    return { contrast: 'T2', confidence, source: 'physics', fromTimings: true, reason: `${t}: long TR, long TE → T2-weighted` };
  }
  if (tr >= 250 && tr <= r.t1SpinEchoTrMax && te <= LIMITS.shortTeMax) {
    return { contrast: 'T1', confidence, source: 'physics', fromTimings: true, reason: `${t}: short TR, short TE → T1-weighted` };
  }
  if (tr >= LIMITS.pdTrMin && te <= LIMITS.pdTeMax) {
    return { contrast: 'PD', confidence: 0.5, source: 'physics', fromTimings: true, reason: `${t}: long TR, short TE → proton density` };
  }
  return null;
}

/** TE/flip reading of a gradient echo. */
export function gradientEchoOpinion(h: SeriesDescriptor, band: FieldBand, what: string, confidence: number): Opinion | null {
  const r = PHYSICS_RANGES[band];
  const tr = h.repetitionTime;
  const te = h.echoTime;
  const fa = h.flipAngle;
  if (te == null) return null;
  const t = `${what}${tr != null ? ` TR ${fmt(tr)} ms,` : ''} TE ${fmt(te)} ms${fa != null ? `, flip ${fmt(fa)}°` : ''} (${r.label})`;
  if (te >= r.t2StarTeMin) return { contrast: 'T2STAR', confidence: 0.7, source: 'physics', fromTimings: true, reason: `${t}: gradient echo with TE ≥ ${r.t2StarTeMin} → T2*-weighted` };
  if (te <= LIMITS.greT1TeMax && (fa == null || fa >= LIMITS.greT1FlipMin) && (tr == null || tr < 1000)) {
    return { contrast: 'T1', confidence, source: 'physics', fromTimings: true, reason: `${t}: spoiled/IR-prepared gradient echo with short TE → T1-weighted` };
  }
  return null;
}

/**
 * The physics opinion for a series: inversion recovery by TI, then gradient echo by TE, then spin echo by TR/TE.
 * EPI gets none (it is excluded before, unless it is an EPI-FLAIR, which the TI rule handles).
 */
export function physicsOpinion(h: SeriesDescriptor, band: FieldBand, family: SequenceFamily | undefined): Opinion | null {
  const tr = h.repetitionTime;
  const te = h.echoTime;
  const known = family != null;
  const conf = known ? 0.7 : 0.6;
  // IR-prepared 3D GRE (BRAVO, TFE, MPRAGE as GE/Philips report it) has TR < 100 with a prep TI longer than TR.
  const shortTrGre = tr != null && tr < LIMITS.greTrMax && (family === 'GRE' || family === 'IR' || family == null);
  if (shortTrGre) return gradientEchoOpinion(h, band, 'gradient echo', conf);
  if (family === 'IR' || (h.inversionTime != null && h.inversionTime > 0)) {
    const ir = inversionOpinion(h, band, 'inversion recovery');
    if (ir) return ir;
    if (family === 'IR') return null;
  }
  if (family === 'EPI') return null;
  if (family === 'GRE') return gradientEchoOpinion(h, band, 'gradient echo', conf);
  if (tr == null || te == null) return null;
  return spinEchoOpinion(h, band, family === 'SE' ? 'spin echo' : 'sequence', conf);
}
