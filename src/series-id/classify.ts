/**
 * Series identification for one study: every series gets a role (t1, t1ce, t2, flair or other) with a confidence
 * and reasons, and one series per model role is selected. Pure: headers in, classification out.
 *
 * Per series (classifySeries):
 *   site override?  → that role (wins over everything below)
 *   exclusion rule? → other (exclusions.ts: localizer, DWI/ADC, SWI, perfusion, MRA, MPR/MIP, SC/SEG/SR, ours, ...)
 *   base contrast   → T1 / T2 / FLAIR / PD / ... (base-contrast.ts: structured → vendor → keywords → physics)
 *   T1 only: pre or post contrast (post-contrast.ts: negative words → agent → positive words → acquisition order)
 *   scores per role; the best one needs `minConfidence`, else other ("not enough evidence")
 * Then per role (select.ts): the best candidate is selected, the others say why not.
 */
import { decideBaseContrast } from './base-contrast';
import { findExclusion } from './exclusions';
import type { SeriesDescriptor } from './series-descriptor';
import { compileOverrides, describeOverride, matchOverride, type CompiledOverride, type OverrideRule } from './overrides';
import { decidePostContrast } from './post-contrast';
import { MODEL_ROLES, type ModelRole, type SeriesRole } from './roles';
import { selectForRole, type Candidate } from './select';
import { orderKey, studyContrastFacts, type StudyContrastFacts } from './study-order';
import { EMPTY_PROTOCOL_NAMES } from './keywords';
import { sequenceFamily } from './physics';
import { normaliseText } from './text';
import type { SeriesContext } from './types';
import { fieldBand, fieldStrength, vendorOf } from './vendor';

export interface ClassifyOptions {
  /** Site rules (config `seriesId.overrides`); an invalid regex throws ConfigError. */
  overrides?: readonly OverrideRule[];
  /** Minimum score for a model role (config `seriesId.minConfidence`, default 0.5). */
  minConfidence?: number;
  /** Fewer images than this → other (config `seriesId.minImages`, default 10). */
  minImages?: number;
}

export type RoleScores = Record<SeriesRole, number>;

export interface SeriesClassification {
  seriesInstanceUid: string;
  seriesNumber?: number;
  seriesDescription: string;
  role: SeriesRole;
  /** 0..1: the score of the assigned role (for `other`, how sure the series is not a model input). */
  confidence: number;
  /** Human-readable evidence, most decisive first. */
  reasons: string[];
  /** True for the one series per model role that the models will use. */
  selected: boolean;
  scores: RoleScores;
}

export interface StudyClassification {
  /** In SeriesNumber order. */
  series: SeriesClassification[];
  /** The chosen SeriesInstanceUID per model role. */
  selected: Partial<Record<ModelRole, string>>;
  /** Model roles no series qualified for (normal: no t1ce in a non-contrast study). */
  missing: ModelRole[];
}

export const DEFAULT_MIN_CONFIDENCE = 0.5;
export const DEFAULT_MIN_IMAGES = 10;

const round2 = (x: number): number => Math.round(x * 100) / 100;

function zeroScores(): RoleScores {
  return { t1: 0, t1ce: 0, t2: 0, flair: 0, other: 0 };
}

/** The per-series facts every rule reads. */
export function seriesContext(h: SeriesDescriptor): SeriesContext {
  const vendor = vendorOf(h.manufacturer);
  const tesla = fieldStrength(h);
  const sd = normaliseText(h.seriesDescription);
  const pnText = normaliseText(h.protocolName);
  // GE ProtocolName names the whole exam ("BRAIN WITH AND WITHOUT P"): it says nothing about one series.
  const pnUseful = vendor !== 'ge' && pnText.norm.trim() !== '' && pnText.norm !== sd.norm && !EMPTY_PROTOCOL_NAMES.test(pnText.norm.trim());
  const pn = pnUseful ? pnText : undefined;
  const sequence = (h.sequenceName ?? h.pulseSequenceName ?? '').trim().replace(/^\*+/, '').toLowerCase();
  return {
    h,
    vendor,
    tesla,
    band: fieldBand(tesla),
    sd,
    pn,
    texts: pn ? [sd, pn] : [sd],
    family: sequenceFamily(h, sequence, vendor),
    sequence,
  };
}

interface BuiltIn {
  role: SeriesRole;
  confidence: number;
  reasons: string[];
  scores: RoleScores;
}

/** The built-in rules for one series (no overrides). */
function builtInRules(ctx: SeriesContext, study: StudyContrastFacts, minConfidence: number, minImages: number): BuiltIn {
  const scores = zeroScores();
  const exclusion = findExclusion(ctx, { minImages });
  if (exclusion) {
    scores.other = exclusion.confidence;
    return { role: 'other', confidence: exclusion.confidence, reasons: [`other (${exclusion.kind}): ${exclusion.reason}`], scores };
  }
  const base = decideBaseContrast(ctx);
  const reasons = [...base.reasons];
  if (!base.contrast) {
    scores.other = 0.5;
    return { role: 'other', confidence: 0.5, reasons: ['other: not enough evidence for any role', ...reasons], scores };
  }
  if (base.contrast === 'T2') scores.t2 = base.confidence;
  if (base.contrast === 'FLAIR') scores.flair = base.confidence;
  let summary = `${base.contrast} from ${base.source}`;
  if (base.contrast === 'T1') {
    const post = decidePostContrast(ctx, study);
    reasons.push(post.reason);
    summary += `; ${post.short}`;
    scores.t1 = round2(base.confidence * (1 - post.pPost));
    scores.t1ce = round2(base.confidence * post.pPost);
  } else if (base.contrast !== 'T2' && base.contrast !== 'FLAIR') {
    scores.other = base.confidence;
    return { role: 'other', confidence: base.confidence, reasons: [`other: ${base.contrast} is not a model input (from ${base.source})`, ...reasons], scores };
  }
  const best = MODEL_ROLES.reduce((a, b) => (scores[b] > scores[a] ? b : a));
  if (scores[best] < minConfidence) {
    scores.other = round2(1 - scores[best]);
    return {
      role: 'other',
      confidence: scores.other,
      reasons: [`other: best role ${best} scored ${scores[best]} < ${minConfidence}, not enough evidence (${summary})`, ...reasons],
      scores,
    };
  }
  scores.other = round2(1 - scores[best]);
  return { role: best, confidence: scores[best], reasons: [`${best} (confidence ${scores[best]}): ${summary}`, ...reasons], scores };
}

function classifySeries(
  ctx: SeriesContext,
  study: StudyContrastFacts,
  overrides: readonly CompiledOverride[],
  minConfidence: number,
  minImages: number,
): SeriesClassification & { byOverride: boolean } {
  const builtIn = builtInRules(ctx, study, minConfidence, minImages);
  const base = {
    seriesInstanceUid: ctx.h.seriesInstanceUid,
    seriesNumber: ctx.h.seriesNumber,
    seriesDescription: ctx.h.seriesDescription ?? '',
  };
  const override = matchOverride(ctx.h, overrides);
  if (override) {
    const role = override.override.rule.role;
    const scores = { ...builtIn.scores, [role]: 1 };
    return {
      ...base,
      role,
      confidence: 1,
      reasons: [describeOverride(override), `built-in rules would say ${builtIn.role} (${builtIn.confidence}): ${builtIn.reasons[0] ?? ''}`],
      selected: false,
      scores,
      byOverride: true,
    };
  }
  return { ...base, role: builtIn.role, confidence: builtIn.confidence, reasons: builtIn.reasons, selected: false, scores: builtIn.scores, byOverride: false };
}

/** Why a series is a copy of another acquisition (for selection), or undefined for an original. */
function copyWhy(ctx: SeriesContext): string | undefined {
  if ((ctx.h.imageType ?? [])[0] === 'DERIVED') return 'ImageType DERIVED';
  if (ctx.sd.intensityCorrectedCopy) return 'GE PU:/SC: intensity-corrected copy';
  if (ctx.sd.processedCopy) return 'processed copy';
  if (ctx.sd.nonDistortionCorrected) return 'Siemens _ND copy without distortion correction';
  return undefined;
}

/** Classifies every series of one study and selects one series per model role. */
export function classifyStudy(headers: readonly SeriesDescriptor[], options: ClassifyOptions = {}): StudyClassification {
  const overrides = compileOverrides(options.overrides ?? []);
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const minImages = options.minImages ?? DEFAULT_MIN_IMAGES;
  const ctxs = headers.map(seriesContext);
  const study = studyContrastFacts(ctxs);
  const results = ctxs.map((ctx) => classifySeries(ctx, study, overrides, minConfidence, minImages));

  const selected: Partial<Record<ModelRole, string>> = {};
  const missing: ModelRole[] = [];
  for (const role of MODEL_ROLES) {
    const candidates: Candidate[] = [];
    results.forEach((r, i) => {
      if (r.role !== role) return;
      const ctx = ctxs[i]!;
      candidates.push({
        seriesInstanceUid: r.seriesInstanceUid,
        seriesNumber: r.seriesNumber,
        description: r.seriesDescription,
        role,
        confidence: r.confidence,
        byOverride: r.byOverride,
        copyWhy: copyWhy(ctx),
        is3D: ctx.h.mrAcquisitionType === '3D',
        sliceThickness: ctx.h.minSliceThickness,
        images: ctx.h.numberOfFrames ?? ctx.h.numberOfInstances,
        order: orderKey(ctx.h),
      });
    });
    const choice = selectForRole(role, candidates);
    if (!choice) {
      missing.push(role);
      continue;
    }
    selected[role] = choice.winner.seriesInstanceUid;
    for (const r of results) {
      const extra = choice.reasons.get(r.seriesInstanceUid);
      if (extra) r.reasons.push(...extra);
      if (r.seriesInstanceUid === choice.winner.seriesInstanceUid) r.selected = true;
    }
  }
  if (study.agentOnEverySeries) {
    for (const r of results) if (r.role === 't1' || r.role === 't1ce') r.reasons.push('ContrastBolusAgent is filled on every series of the study, so it was not used as per-series evidence');
  }

  const series = results
    .map(({ byOverride: _b, ...r }) => r)
    .sort((a, b) => (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity) || a.seriesInstanceUid.localeCompare(b.seriesInstanceUid));
  return { series, selected, missing };
}
