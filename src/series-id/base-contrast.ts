/**
 * The base-contrast cascade: T1, T2, FLAIR (model inputs) or PD, STIR, T2-star, ... (not).
 *
 *   1. structured   Enhanced MR AcquisitionContrast / ImageType flavour           (confidence 0.95)
 *   2. vendor       Siemens SequenceName, GE names + ScanOptions, Philips names  (0.7–0.85)
 *   3. keywords     description, then protocol name, with the traps handled     (0.7–0.9)
 *   4. physics      TR/TE/TI/flip with field-strength-aware ranges              (0.5–0.8)
 *   5. convention   "POST" with no other contrast word is a post-contrast T1      (0.6)
 *
 * The first source with an opinion decides the contrast; every later opinion that agrees raises the confidence and
 * every one that disagrees lowers it (and is listed in the reasons). One refinement: a plain "T2" opinion becomes
 * FLAIR when a later source measured a fluid-nulling inversion time or names FLAIR.
 */
import { FLAIR_WORDS, NEGATIVE_CONTRAST_WORDS, POSITIVE_CONTRAST_WORDS, T1_TYPO, T1_WORDS, T2_WEAK_WORDS, T2_WORDS, TIRM_WORDS } from './keywords';
import { inversionOpinion, LIMITS, PHYSICS_RANGES, physicsOpinion } from './physics';
import { describeMatch, firstMatch, type SeriesText } from './text';
import type { BaseContrast, Opinion, OpinionSource, SeriesContext } from './types';
import { vendorSequenceOpinion } from './vendor-sequences';

const ACQUISITION_CONTRAST: Record<string, BaseContrast> = {
  T1: 'T1',
  T2: 'T2',
  PROTON_DENSITY: 'PD',
  FLUID_ATTENUATED: 'FLAIR',
  STIR: 'STIR',
  T2_STAR: 'T2STAR',
  DIFFUSION: 'DIFFUSION',
  PERFUSION: 'PERFUSION',
  FLOW_ENCODED: 'ANGIO',
  ANGIO: 'ANGIO',
  TOF: 'ANGIO',
  FMRI: 'PERFUSION',
};

const ENHANCED_SOP_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.4.1', '1.2.840.10008.5.1.4.1.1.4.4']);

/** 1. Enhanced MR (0008,9209) AcquisitionContrast, else the Enhanced ImageType value 3 (image flavour). */
export function structuredOpinion(ctx: SeriesContext): Opinion | null {
  const h = ctx.h;
  let value = h.acquisitionContrast;
  let where = 'AcquisitionContrast';
  if (!value || !ACQUISITION_CONTRAST[value]) {
    const flavour = ENHANCED_SOP_CLASSES.has(h.sopClassUid ?? '') ? (h.imageType ?? [])[2] : undefined;
    if (!flavour || !ACQUISITION_CONTRAST[flavour]) return null;
    value = flavour;
    where = 'Enhanced MR ImageType flavour';
  }
  let contrast = ACQUISITION_CONTRAST[value]!;
  let reason = `${where} ${value} → ${contrast}`;
  // A T1-FLAIR may be labelled fluid-attenuated; its short TE gives it away.
  if (contrast === 'FLAIR' && h.echoTime != null && h.echoTime < LIMITS.t1IrTeMax) {
    contrast = 'T1';
    reason = `${where} ${value} with TE ${h.echoTime} ms < ${LIMITS.t1IrTeMax} → T1-FLAIR is T1`;
  }
  return { contrast, confidence: 0.95, source: 'structured', reason };
}

/** 3. Keywords in one text, with the known traps. */
export function keywordOpinionFor(text: SeriesText, field: string, ctx: SeriesContext): Opinion | null {
  const n = text.norm;
  if (!n.trim()) return null;
  const h = ctx.h;
  const where = `${field} '${text.raw}'`;
  const op = (contrast: BaseContrast, confidence: number, why: string): Opinion => ({ contrast, confidence, source: 'keywords', reason: `${where}: ${why}` });
  const flair = firstMatch(n, FLAIR_WORDS);
  const t1 = firstMatch(n, T1_WORDS);
  const typo = !t1 && T1_TYPO.re.test(n) ? { keyword: T1_TYPO, match: 'TI' } : undefined;
  const t2 = firstMatch(n, T2_WORDS);
  const r = PHYSICS_RANGES[ctx.band];

  // Trap: "T1 FLAIR", "t1_tse_dark-fluid", "T1-FLAIR" are T1 (checked before FLAIR, which is checked before T2).
  if (flair) {
    if (t1 || typo) return op('T1', 0.85, `${describeMatch(flair)} with ${describeMatch((t1 ?? typo)!)} → T1-FLAIR is T1`);
    if (h.echoTime != null && h.echoTime < LIMITS.t1IrTeMax) return op('T1', 0.8, `${describeMatch(flair)} but TE ${h.echoTime} ms < ${LIMITS.t1IrTeMax} → T1-weighted FLAIR`);
    if (h.inversionTime != null && h.inversionTime > 0 && h.inversionTime < r.flairTiMin) {
      return op('T1', 0.8, `${describeMatch(flair)} but TI ${h.inversionTime} ms < ${r.flairTiMin} → T1-weighted FLAIR`);
    }
    return op('FLAIR', 0.9, describeMatch(flair));
  }
  // Siemens TIRM is FLAIR, T1 TIRM or STIR depending on TI: only a T1 word or the TI can say which.
  const tirm = firstMatch(n, TIRM_WORDS);
  if (tirm) {
    if (t1 || typo) return op('T1', 0.85, `${describeMatch(tirm)} with ${describeMatch((t1 ?? typo)!)} → T1 TIRM is T1`);
    const ir = inversionOpinion(h, ctx.band, describeMatch(tirm));
    return ir ? { ...ir, source: 'keywords', reason: `${where}: ${ir.reason}` } : null;
  }
  if ((t1 || typo) && t2) return null; // "T1 T2": contradictory, let other sources decide
  if (t2) return op('T2', 0.85, describeMatch(t2));
  if (t1) return op('T1', 0.85, describeMatch(t1));
  if (typo) return op('T1', 0.75, describeMatch(typo));
  const weakT2 = firstMatch(n, T2_WEAK_WORDS);
  if (weakT2) return op('T2', 0.7, describeMatch(weakT2));
  return null;
}

/** 3. Keywords: the description first; the protocol name only when the description names no contrast. */
export function keywordOpinion(ctx: SeriesContext): Opinion | null {
  const fromSd = keywordOpinionFor(ctx.sd, 'description', ctx);
  if (fromSd) return fromSd;
  return ctx.pn ? keywordOpinionFor(ctx.pn, 'protocol name', ctx) : null;
}

/** 4. Physics, with the family implied by ScanningSequence / vendor names. */
export function timingOpinion(ctx: SeriesContext): Opinion | null {
  return physicsOpinion(ctx.h, ctx.band, ctx.family);
}

/**
 * 5. Convention: a series labelled only as post-contrast ("SPGR_post" mistyped as "FSGPR Post", "AX POST") is a
 * T1 in clinical practice: post-contrast T2/FLAIR/DWI are named as such.
 */
export function postContrastConvention(ctx: SeriesContext): Opinion | null {
  for (const text of ctx.texts) {
    if (firstMatch(text.norm, NEGATIVE_CONTRAST_WORDS)) return null;
    const pos = firstMatch(text.norm, POSITIVE_CONTRAST_WORDS);
    if (pos) {
      return {
        contrast: 'T1',
        confidence: 0.6,
        source: 'convention',
        reason: `'${text.raw}' is labelled post-contrast (${describeMatch(pos)}) and names no other contrast: by convention a T1`,
      };
    }
  }
  return null;
}

/** The cascade in order; each step is a small named function above. */
export const BASE_CONTRAST_CASCADE: ReadonlyArray<{ name: string; opinion: (ctx: SeriesContext) => Opinion | null }> = [
  { name: 'structured', opinion: structuredOpinion },
  { name: 'vendor-sequence', opinion: vendorSequenceOpinion },
  { name: 'keywords', opinion: keywordOpinion },
  { name: 'physics', opinion: timingOpinion },
  { name: 'convention', opinion: postContrastConvention },
];

export interface BaseContrastResult {
  contrast: BaseContrast | undefined;
  /** The source that decided (the first in cascade order that had an opinion). */
  source?: OpinionSource;
  /** 0..1 after agreement/disagreement adjustments. */
  confidence: number;
  reasons: string[];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function decideBaseContrast(ctx: SeriesContext): BaseContrastResult {
  const opinions: Opinion[] = [];
  let timingsSeen = false;
  for (const step of BASE_CONTRAST_CASCADE) {
    // The convention is a fallback only: it never outvotes or confirms a real source.
    if (step.name === 'convention' && opinions.length) continue;
    const o = step.opinion(ctx);
    if (!o) continue;
    // Vendor rules and physics may both read TR/TE: that is one piece of evidence.
    if (o.fromTimings && timingsSeen) continue;
    if (o.fromTimings) timingsSeen = true;
    opinions.push(o);
  }
  if (!opinions.length) {
    return { contrast: undefined, confidence: 0, reasons: ['no contrast evidence: no structured contrast, sequence name, contrast word or usable timings'] };
  }
  let primary = opinions[0]!;
  const reasons: string[] = [];
  if (primary.contrast === 'T2') {
    const flair = opinions.find((o) => o.contrast === 'FLAIR' && (o.byInversionTime || o.source === 'keywords'));
    if (flair) {
      reasons.push(`refined T2 → FLAIR: ${flair.reason}`);
      primary = { ...flair, confidence: Math.max(flair.confidence, primary.confidence) };
    }
  }
  let conf = primary.confidence;
  reasons.unshift(`${primary.contrast} from ${primary.source}: ${primary.reason} (${round2(primary.confidence)})`);
  for (const o of opinions) {
    if (o === primary || (o.contrast === 'T2' && primary.contrast === 'FLAIR' && opinions[0] === o)) continue;
    if (o.contrast === primary.contrast) {
      conf += (1 - conf) * 0.5 * o.confidence;
      reasons.push(`agrees (${o.source}): ${o.reason}`);
    } else {
      conf *= 1 - 0.4 * o.confidence;
      reasons.push(`disagrees (${o.source}, outranked by ${primary.source}): ${o.reason}`);
    }
  }
  return { contrast: primary.contrast, source: primary.source, confidence: round2(conf), reasons };
}
