/**
 * T1 vs T1ce, for series whose base contrast is T1. Cascade (first that speaks decides):
 *
 *   1. negative words in the text ("PRE", "nativ", "ohne KM", "sans gado", "utan kontrast", "-K")   → pre
 *      (they win over positive words and over ContrastBolusAgent, which some sites fill for the whole exam)
 *   2. ContrastBolusAgent names an agent ("NONE"/"no"/"n" do not count)                             → post
 *      ... unless acquired before ContrastBolusStartTime                                           → pre
 *   3. positive words ("POST", "+C", "C+", "Gd", "mit KM", "avec gado", "con contraste", "med kontrast") → post
 *   4. acquisition order: after the study's first contrast event → post; before all of them → pre
 *   5. no contrast evidence in the series or the study                                           → pre/none
 *
 * Returns the probability-like share `pPost` (0..1) that the T1 score is split by, with the reason.
 */
import { POSITIVE_CONTRAST_WEAK_WORDS } from './keywords';
import { compareOrder, meaningfulAgent, negativeContrastWord, orderKey, positiveContrastWord, type StudyContrastFacts } from './study-order';
import { describeMatch, firstMatch } from './text';
import type { SeriesContext } from './types';

export interface PostContrastDecision {
  pPost: number;
  /** One-line evidence for the reasons list. */
  reason: string;
  /** A few words for the summary line, e.g. "post-contrast by acquisition order". */
  short: string;
}

const label = (n: number | undefined, d: string): string => `series ${n ?? '?'} '${d}'`;

export function negativeWordRule(ctx: SeriesContext): PostContrastDecision | null {
  for (const text of ctx.texts) {
    const neg = negativeContrastWord(text);
    if (neg) return { pPost: 0.05, short: 'pre-contrast by description', reason: `pre-contrast: '${text.raw}' has ${neg} (negative words win)` };
  }
  return null;
}

export function bolusAgentRule(ctx: SeriesContext, study: StudyContrastFacts): PostContrastDecision | null {
  const agent = meaningfulAgent(ctx.h.contrastBolusAgent);
  if (!agent) return null;
  if (study.agentOnEverySeries) return null;
  const start = ctx.h.contrastBolusStart;
  const acquired = ctx.h.acquisitionStart;
  if (start && acquired && start.hasDate === acquired.hasDate && acquired.seconds < start.seconds) {
    return { pPost: 0.1, short: 'pre-contrast by ContrastBolusStartTime', reason: `pre-contrast: acquired before ContrastBolusStartTime although ContrastBolusAgent is '${agent}'` };
  }
  return { pPost: 0.95, short: 'post-contrast by ContrastBolusAgent', reason: `post-contrast: ContrastBolusAgent '${agent}'` };
}

export function positiveWordRule(ctx: SeriesContext): PostContrastDecision | null {
  for (const text of ctx.texts) {
    const pos = positiveContrastWord(text);
    if (pos) return { pPost: 0.92, short: 'post-contrast by description', reason: `post-contrast: '${text.raw}' has ${pos}` };
  }
  for (const text of ctx.texts) {
    const weak = firstMatch(text.norm, POSITIVE_CONTRAST_WEAK_WORDS);
    if (weak) return { pPost: 0.8, short: 'post-contrast by description (weak word)', reason: `post-contrast: '${text.raw}' has ${describeMatch(weak)}` };
  }
  return null;
}

export function acquisitionOrderRule(ctx: SeriesContext, study: StudyContrastFacts): PostContrastDecision | null {
  const others = study.events.filter((e) => e.seriesInstanceUid !== ctx.h.seriesInstanceUid);
  if (!others.length) return null;
  const me = orderKey(ctx.h);
  let undecided = false;
  for (const e of others) {
    const cmp = compareOrder(me, e.order);
    if (cmp == null) undecided = true;
    else if (cmp > 0) {
      return { pPost: 0.85, short: 'post-contrast by acquisition order', reason: `post-contrast by acquisition order: acquired after ${label(e.seriesNumber, e.description)} (${e.why})` };
    }
  }
  if (undecided) return { pPost: 0.5, short: 'pre/post contrast undecided', reason: 'contrast was given in this study but this series cannot be ordered against it (no times or series numbers)' };
  const first = others.reduce((a, b) => ((compareOrder(b.order, a.order) ?? 0) < 0 ? b : a));
  return { pPost: 0.08, short: 'pre-contrast by acquisition order', reason: `pre-contrast by acquisition order: acquired before the first contrast evidence, ${label(first.seriesNumber, first.description)} (${first.why})` };
}

export function noEvidenceRule(): PostContrastDecision {
  return { pPost: 0.1, short: 'no contrast evidence', reason: 'no contrast evidence in this series or anywhere in the study → pre-contrast T1' };
}

export function decidePostContrast(ctx: SeriesContext, study: StudyContrastFacts): PostContrastDecision {
  return negativeWordRule(ctx) ?? bolusAgentRule(ctx, study) ?? positiveWordRule(ctx) ?? acquisitionOrderRule(ctx, study) ?? noEvidenceRule();
}
