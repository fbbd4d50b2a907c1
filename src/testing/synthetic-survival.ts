/** Survival findings for encoder and page tests (the shape the engine writes for a tiny-glioma-survival run). */
import type { SurvivalFinding } from '../ai/findings';

export const SURVIVAL_STATEMENT =
  'Trained on synthetic outcomes drawn from published population survival statistics by WHO CNS5 entity, grade and age band. These are population figures, not a prediction for this patient. Research use only.';

export function syntheticSurvival(status: SurvivalFinding['status'] = 'reported'): SurvivalFinding {
  const base = { head: 'survival', title: 'Overall survival', outcomes: 'synthetic' as const, statement: SURVIVAL_STATEMENT, modalitiesUsed: ['t1' as const, 't1ce' as const, 't2' as const, 'flair' as const], notes: [] };
  if (status === 'not-assessable') return { ...base, status, reason: 'patient age unknown: no PatientAge, PatientBirthDate/StudyDate', timePoints: [] };
  if (status === 'not-applicable') return { ...base, status, ageYears: 54, ageSource: 'PatientAge', reason: 'no tumour segmented: survival figures describe a tumour, so they are not applicable', timePoints: [] };
  return {
    ...base,
    status,
    ageYears: 54,
    ageSource: 'PatientAge',
    timePoints: [
      { months: 12, probability: 0.7812, std: 0.021, min: 0.75, max: 0.81 },
      { months: 24, probability: 0.5123, std: 0.034, min: 0.47, max: 0.56 },
      { months: 60, probability: 0.2031, std: 0.028, min: 0.17, max: 0.24 },
    ],
    riskGroup: { name: 'intermediate', atMonths: 24, survivalProbability: 0.5123 },
    uncertainty: { estimated: true, passes: 8, method: 'spread of the survival probability across 8 flip TTA passes' },
    notes: [],
  };
}
