/**
 * Survival heads (manifest kind "survival"): discrete-time hazards -> survival probabilities at the reported times,
 * their spread across TTA passes, the risk group. Pure.
 *
 * Bin b covers (edge[b-1], edge[b]] months (edge[-1] = 0) and h_b is the conditional probability of the event in
 * that bin given survival to its start, so S(edge[b]) = prod_{j<=b} (1 - h_j).
 */
import type { PatientAge } from '../dicom/patient-age';
import type { ModelRole } from '../series-id/roles';
import type { SurvivalFinding, SurvivalTimePoint } from './findings';
import { NEUTRAL_CLINICAL } from './feeds';
import type { SurvivalHeadSpec } from './manifest';

/** S at every bin edge; hazards outside [0, 1] (or not finite) are clamped, so S stays a probability. */
export function survivalCurve(hazards: ArrayLike<number>): number[] {
  const out: number[] = [];
  let s = 1;
  for (let b = 0; b < hazards.length; b++) {
    const h = hazards[b]!;
    s *= 1 - (Number.isFinite(h) ? Math.min(1, Math.max(0, h)) : 0);
    out.push(s);
  }
  return out;
}

/** Mean, population standard deviation, min and max of per-pass values. */
function spread(xs: readonly number[]): { mean: number; std: number; min: number; max: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

/** Probability at each reported time: mean over passes, with the spread when there were several passes. */
export function survivalTimePoints(spec: Pick<SurvivalHeadSpec, 'timeBinsMonths' | 'reportAtMonths'>, passHazards: readonly number[][]): SurvivalTimePoint[] {
  const curves = passHazards.map(survivalCurve);
  return spec.reportAtMonths.map((months) => {
    const b = spec.timeBinsMonths.indexOf(months);
    const s = spread(curves.map((c) => c[b]!));
    return { months, probability: s.mean, ...(curves.length > 1 ? { std: s.std, min: s.min, max: s.max } : {}) };
  });
}

/** The first group whose `below` exceeds the survival probability (manifest validation guarantees one does). */
export function riskGroup(spec: Pick<SurvivalHeadSpec, 'riskGroups'>, survivalAt: number): string {
  return (spec.riskGroups.groups.find((g) => survivalAt < g.below) ?? spec.riskGroups.groups[spec.riskGroups.groups.length - 1]!).name;
}

/** Why a required clinical input is missing, in words, or undefined when every required input is known. */
export function missingClinicalReason(spec: SurvivalHeadSpec, age: PatientAge | undefined): string | undefined {
  const needsAge = spec.clinicalInputs.some((c) => c.quantity === 'age-years' && c.required);
  return needsAge && !age ? 'patient age unknown: no PatientAge, PatientBirthDate/StudyDate' : undefined;
}

export interface SurvivalContext {
  age?: PatientAge;
  /** Roles fed to the model (the subset used when sequences were missing). */
  modalitiesUsed: readonly ModelRole[];
  /** Set when the head is not applicable (no tumour segmented). */
  notApplicable?: string;
}

/** One survival head's findings from its per-pass hazards. */
export function summariseSurvival(spec: SurvivalHeadSpec, passHazards: readonly number[][], ctx: SurvivalContext): SurvivalFinding {
  const base = {
    head: spec.id,
    title: spec.title,
    outcomes: spec.outcomes,
    statement: spec.statement,
    modalitiesUsed: [...ctx.modalitiesUsed],
    ...(ctx.age ? { ageYears: Math.floor(ctx.age.years), ageSource: ctx.age.source } : {}),
  };
  if (ctx.notApplicable) return { ...base, status: 'not-applicable', reason: ctx.notApplicable, timePoints: [], notes: [] };
  const missing = missingClinicalReason(spec, ctx.age);
  if (missing) return { ...base, status: 'not-assessable', reason: missing, timePoints: [], notes: [] };
  const timePoints = survivalTimePoints(spec, passHazards);
  const at = survivalTimePoints({ timeBinsMonths: spec.timeBinsMonths, reportAtMonths: [spec.riskGroups.atMonths] }, passHazards)[0]!.probability;
  const notes: string[] = [];
  const optionalAge = spec.clinicalInputs.find((c) => c.quantity === 'age-years' && !c.required);
  if (optionalAge && !ctx.age) notes.push(`patient age unknown: the model was fed the neutral value ${NEUTRAL_CLINICAL['age-years']} years`);
  const [lo, hi] = spec.ageRangeYears;
  if (ctx.age && (ctx.age.years < lo || ctx.age.years > hi)) {
    notes.push(`age ${Math.floor(ctx.age.years)} years is outside the ${lo}-${hi} years the model was trained on: the figures are less reliable`);
  }
  return {
    ...base,
    status: 'reported',
    timePoints,
    riskGroup: { name: riskGroup(spec, at), atMonths: spec.riskGroups.atMonths, survivalProbability: at },
    uncertainty: passHazards.length > 1
      ? { estimated: true, passes: passHazards.length, method: `spread of the survival probability across ${passHazards.length} flip TTA passes` }
      : { estimated: false, passes: 1, method: 'not estimated (one pass, no test-time augmentation)' },
    notes,
  };
}
