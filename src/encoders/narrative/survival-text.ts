/**
 * Survival figures as words, shared by the clinician narrative, the result page and the PDF: each time point with
 * its TTA spread, the risk group, the age used, and the model's statement every time the figures show. Pure.
 */
import type { SurvivalFinding, SurvivalTimePoint } from '../../ai/findings';

const pct = (p: number): string => `${Math.round(p * 100)}%`;

/** "1 year", "2 years", "18 months". */
export function monthsText(m: number): string {
  return m % 12 === 0 ? `${m / 12} year${m === 12 ? '' : 's'}` : `${m} months`;
}

/** "78% (TTA range 75%-81%, SD 2%)", or "78%" without TTA. */
export function timePointText(t: SurvivalTimePoint): string {
  return t.std != null && t.min != null && t.max != null ? `${pct(t.probability)} (TTA range ${pct(t.min)}-${pct(t.max)}, SD ${pct(t.std)})` : pct(t.probability);
}

/** Where the outcomes the head learned from came from, in one phrase. */
export function outcomesText(s: SurvivalFinding): string {
  return s.outcomes === 'synthetic' ? 'synthetic outcomes, population statistics' : 'observed outcomes, population statistics';
}

/** One line of figures (or why there are none), then the statement. */
export function survivalLines(s: SurvivalFinding): string[] {
  const head = `${s.title} (${outcomesText(s)}, not a prediction for this patient)`;
  if (s.status !== 'reported') return [`${head}: ${s.status === 'not-applicable' ? 'not applicable' : 'not assessable'} (${s.reason ?? 'no reason given'}).`];
  const points = s.timePoints.map((t) => `${monthsText(t.months)} ${timePointText(t)}`).join('; ');
  const rg = s.riskGroup ? `; risk group ${s.riskGroup.name} (mean survival at ${monthsText(s.riskGroup.atMonths)} ${pct(s.riskGroup.survivalProbability)})` : '';
  const unc = s.uncertainty?.estimated ? '' : '; uncertainty not estimated (no test-time augmentation)';
  const age = s.ageYears != null ? `; age used ${s.ageYears} years` : '';
  return [`${head}: survival at ${points}${rg}${unc}${age}.`, ...s.notes.map((n) => `Note: ${n}.`), s.statement];
}
