/**
 * The survival heads' container in the TID 1500 tree: the statement first (synthetic outcomes, population figures,
 * not a prediction for this patient), then the figures, or the reason they are not reported. Pure.
 */
import type { Findings, SurvivalFinding } from '../../ai/findings';
import { DCM, PRIV, riskGroupCode, SCT, survivalProbabilityCode, UCUM } from '../codes';
import { codeContent, container, numContent, roundTo, textContent, type ContentItem } from './content-items';

function figures(s: SurvivalFinding): ContentItem[] {
  const items: ContentItem[] = [];
  for (const t of s.timePoints) {
    items.push(numContent('CONTAINS', survivalProbabilityCode(t.months, 'mean'), roundTo(t.probability, 4), UCUM.noUnits));
    if (t.std != null) items.push(numContent('CONTAINS', survivalProbabilityCode(t.months, 'sd'), roundTo(t.std, 4), UCUM.noUnits));
    if (t.min != null) items.push(numContent('CONTAINS', survivalProbabilityCode(t.months, 'min'), roundTo(t.min, 4), UCUM.noUnits));
    if (t.max != null) items.push(numContent('CONTAINS', survivalProbabilityCode(t.months, 'max'), roundTo(t.max, 4), UCUM.noUnits));
  }
  if (s.riskGroup) {
    items.push(
      codeContent('CONTAINS', PRIV.riskGroup, riskGroupCode(s.riskGroup.name)),
      textContent('CONTAINS', PRIV.riskGroupBasis, `mean survival probability at ${s.riskGroup.atMonths} months: ${s.riskGroup.survivalProbability.toFixed(2)}`),
    );
  }
  if (s.uncertainty) items.push(textContent('CONTAINS', PRIV.survivalUncertainty, s.uncertainty.method));
  return items;
}

/** One container per survival head (empty when the model has none). */
export function survivalContainers(f: Findings): ContentItem[] {
  return (f.survival ?? []).map((s) => {
    const items: ContentItem[] = [
      textContent('CONTAINS', PRIV.survivalStatement, s.statement),
      codeContent('CONTAINS', PRIV.outcomeData, s.outcomes === 'synthetic' ? PRIV.syntheticOutcomes : PRIV.observedOutcomes),
    ];
    if (s.ageYears != null) items.push(numContent('CONTAINS', DCM.subjectAge, s.ageYears, UCUM.year));
    items.push(textContent('CONTAINS', PRIV.survivalInputs, s.modalitiesUsed.join('+') || 'none'));
    if (s.status === 'reported') items.push(...figures(s));
    else {
      items.push(codeContent('CONTAINS', PRIV.survivalEstimate, s.status === 'not-applicable' ? SCT.notApplicable : PRIV.survivalNotAssessable));
      if (s.reason) items.push(textContent('CONTAINS', PRIV.survivalReason, s.reason));
    }
    for (const n of s.notes) items.push(textContent('CONTAINS', PRIV.survivalNote, n));
    return container('CONTAINS', PRIV.survivalEstimate, items);
  });
}
