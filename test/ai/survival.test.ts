/** Survival heads: manifest validation, age from the header, hazards -> survival maths with the TTA spread. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, parseManifest } from '../../src/ai/manifest';
import { checkGraph } from '../../src/ai/graph-check';
import { riskGroup, summariseSurvival, survivalCurve, survivalTimePoints } from '../../src/ai/survival';
import { ageInYears, patientAge } from '../../src/dicom/patient-age';

const FIX = join(__dirname, '../fixtures/models/tiny-glioma-survival/manifest.json');
type Raw = { outputs: { heads: Record<string, unknown>[] } };
const raw = (): Raw => JSON.parse(readFileSync(FIX, 'utf8')) as Raw;
const survivalOf = (m: Raw): Record<string, unknown> => m.outputs.heads.find((h) => h.kind === 'survival')!;

function issuesOf(m: Raw): string[] {
  try {
    parseManifest(m, 'm.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as ManifestError).issues;
  }
  throw new Error('manifest unexpectedly valid');
}

describe('survival head in the manifest', () => {
  it('parses the contract: classification heads stay in heads, the survival head has its own list', () => {
    const m = parseManifest(raw());
    expect(m.outputs.heads.map((h) => h.kind)).toEqual(['idh', 'codeletion_1p19q', 'who_grade', 'histology']);
    expect(m.outputs.survival).toHaveLength(1);
    const s = m.outputs.survival[0]!;
    expect(s.timeBinsMonths).toEqual([6, 12, 18, 24, 36, 48, 60, 84, 120]);
    expect(s.clinicalInputs).toEqual([{ quantity: 'age-years', name: 'age', dtype: 'float32', shape: ['N', 1], required: true }]);
    expect(s.aggregation).toBe('mean');
    expect(s.ageRangeYears).toEqual([18, 90]);
  });

  it.each<[string, (h: Record<string, unknown>) => void, RegExp]>([
    ['a reported time off the bin edges', (h) => (h.reportAtMonths = [12, 30]), /^outputs\.heads\.4\.reportAtMonths\.1: 30 months is not a bin edge/],
    ['bins that do not increase', (h) => (h.timeBinsMonths = [6, 12, 12, 24, 36, 48, 60, 84, 120]), /^outputs\.heads\.4\.timeBinsMonths\.2: bin edges must increase strictly/],
    ['an output width other than the number of bins', (h) => (h.shape = ['N', 8]), /^outputs\.heads\.4\.shape\.1: 8 hazard outputs for 9 time bins/],
    ['a risk-group time off the bin edges', (h) => ((h.riskGroups as { atMonths: number }).atMonths = 30), /^outputs\.heads\.4\.riskGroups\.atMonths: 30 months is not a bin edge/],
    ['risk groups that leave probabilities without a group', (h) => ((h.riskGroups as { groups: { below: number }[] }).groups[2]!.below = 0.9), /the last group's "below" must exceed 1/],
    ['an unknown clinical quantity', (h) => ((h.clinicalInputs as { quantity: string }[])[0]!.quantity = 'weight-kg'), /^outputs\.heads\.4\.clinicalInputs\.0\.quantity: /],
    ['a clinical input wider than one value', (h) => ((h.clinicalInputs as { shape: unknown[] }[])[0]!.shape = ['N', 2]), /clinical input is one value per case/],
    ['no statement', (h) => delete h.statement, /^outputs\.heads\.4\.statement: /],
    ['outcomes not declared', (h) => delete h.outcomes, /^outputs\.heads\.4\.outcomes: /],
    ['a classification field on a survival head', (h) => (h.classes = [{ name: 'a' }, { name: 'b' }]), /^outputs\.heads\.4: Unrecognized key: "classes"/],
  ])('rejects %s with a message naming the field', (_what, edit, want) => {
    const m = raw();
    edit(survivalOf(m));
    expect(issuesOf(m).some((i) => want.test(i))).toBe(true);
  });

  it('rejects a clinical input tensor name already used', () => {
    const m = raw();
    (survivalOf(m).clinicalInputs as { name: string }[])[0]!.name = 'modality_mask';
    expect(issuesOf(m)).toContain('outputs: tensor name "modality_mask" used twice');
  });

  it('graph check: the clinical input must be a graph input, and the graph width must match the bins', () => {
    const m = parseManifest(raw());
    const inputs = [
      { name: 'image', isTensor: true, type: 'float32', shape: ['N', 4, 'D', 'H', 'W'] },
      { name: 'modality_mask', isTensor: true, type: 'float32', shape: ['N', 4] },
    ];
    const outputs = [
      { name: 'seg_logits', isTensor: true, type: 'float32', shape: ['N', 4, 'D', 'H', 'W'] },
      ...['idh_logits', 'codeletion_1p19q_logits'].map((name) => ({ name, isTensor: true, type: 'float32', shape: ['N', 2] })),
      ...['grade_logits', 'histology_logits'].map((name) => ({ name, isTensor: true, type: 'float32', shape: ['N', 3] })),
      { name: 'survival_hazard', isTensor: true, type: 'float32', shape: ['N', 9] },
    ];
    expect(checkGraph(m, inputs, outputs)).toEqual(['clinical input (age-years) "age" is not an input of the graph (graph inputs: image, modality_mask)']);
    const withAge = [...inputs, { name: 'age', isTensor: true, type: 'float32', shape: ['N', 1] }];
    expect(checkGraph(m, withAge, outputs)).toEqual([]);
    // The manifest leaves the width symbolic; the graph fixes it at 8.
    m.outputs.survival[0]!.shape = ['N', 'B'];
    const narrow = outputs.map((o) => (o.name === 'survival_hazard' ? { ...o, shape: ['N', 8] } : o));
    expect(checkGraph(m, withAge, narrow)).toEqual(['survival head "survival" output "survival_hazard": the graph gives 8 hazards, the manifest declares 9 time bins']);
  });
});

describe('age from the header', () => {
  it.each<[string, number]>([
    ['054Y', 54],
    ['018M', 1.5],
    ['026W', 26 / 52.1775],
    ['030D', 30 / 365.25],
  ])('PatientAge %s', (age, years) => {
    expect(patientAge(age, undefined, undefined)).toEqual({ years: expect.closeTo(years, 9) as number, source: 'PatientAge' });
  });

  it('falls back to the birth and study dates, and says so', () => {
    const a = patientAge('', '19700615', '20260614')!;
    expect(a.source).toBe('PatientBirthDate+StudyDate');
    expect(Math.floor(a.years)).toBe(55); // the day before the 56th birthday
    expect(Math.floor(patientAge(undefined, '19700615', '20260615')!.years)).toBe(56);
  });

  it('is unknown without usable values', () => {
    expect(patientAge(undefined, undefined, undefined)).toBeUndefined();
    expect(patientAge('54', '19700615', undefined)).toBeUndefined(); // no unit, no study date
    expect(patientAge('', '20300101', '20260101')).toBeUndefined(); // born after the study
    expect(patientAge('', '1970-06-15', '20260614')).toBeUndefined(); // not a DA value
    expect(ageInYears('060Y', undefined, undefined)).toBe(60);
  });
});

describe('hazards -> survival', () => {
  const spec = { timeBinsMonths: [6, 12, 18, 24, 36, 48, 60, 84, 120], reportAtMonths: [12, 24, 60] };

  it('S(edge b) is the product of (1 - h_j) up to b', () => {
    expect(survivalCurve([0.1, 0.2, 0.5])).toEqual([0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.5]);
    // Out-of-range hazards are clamped: S stays within [0, 1] and never increases.
    expect(survivalCurve([-0.2, 1.3, 0.5])).toEqual([1, 0, 0]);
    expect(survivalCurve([Number.NaN, 0.5])).toEqual([1, 0.5]);
  });

  it('one pass: probabilities at the reported edges, no spread', () => {
    const h = [0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3];
    const tp = survivalTimePoints(spec, [h]);
    expect(tp.map((t) => t.months)).toEqual([12, 24, 60]);
    expect(tp[0]!.probability).toBeCloseTo(0.81, 12);
    expect(tp[1]!.probability).toBeCloseTo(0.9 ** 4, 12);
    expect(tp[2]!.probability).toBeCloseTo(0.9 ** 4 * 0.8 ** 3, 12);
    expect(tp[0]!.std).toBeUndefined();
  });

  it('TTA: S per pass, then mean, std and min-max across passes (not S of the mean hazard)', () => {
    const a = [0.2, 0.2, 0, 0, 0, 0, 0, 0, 0];
    const b = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const tp = survivalTimePoints(spec, [a, b]);
    // S(12) per pass: 0.64 and 1 -> mean 0.82, std 0.18 (S of the mean hazard would be 0.81).
    expect(tp[0]).toEqual({ months: 12, probability: expect.closeTo(0.82, 12) as number, std: expect.closeTo(0.18, 12) as number, min: expect.closeTo(0.64, 12) as number, max: 1 });
  });

  it('risk group from the thresholds, first group whose bound exceeds S', () => {
    const rg = { riskGroups: { atMonths: 24, groups: [{ name: 'high', below: 0.3 }, { name: 'intermediate', below: 0.7 }, { name: 'low', below: 1.01 }] } };
    expect(riskGroup(rg, 0.1)).toBe('high');
    expect(riskGroup(rg, 0.3)).toBe('intermediate');
    expect(riskGroup(rg, 0.69)).toBe('intermediate');
    expect(riskGroup(rg, 1)).toBe('low');
  });

  it('summary: age rounded down, out-of-range age noted; unknown age -> not assessable with the reason', () => {
    const m = parseManifest(raw()).outputs.survival[0]!;
    const h = [0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1];
    const ok = summariseSurvival(m, [h, h], { age: { years: 93.9, source: 'PatientAge' }, modalitiesUsed: ['t1', 'flair'] });
    expect(ok).toEqual(expect.objectContaining({ status: 'reported', ageYears: 93, ageSource: 'PatientAge', outcomes: 'synthetic', modalitiesUsed: ['t1', 'flair'] }));
    expect(ok.riskGroup).toEqual({ name: 'low', atMonths: 24, survivalProbability: expect.closeTo(0.95 ** 4, 12) as number });
    expect(ok.uncertainty).toEqual(expect.objectContaining({ estimated: true, passes: 2 }));
    expect(ok.notes).toEqual(['age 93 years is outside the 18-90 years the model was trained on: the figures are less reliable']);
    const one = summariseSurvival(m, [h], { age: { years: 50, source: 'PatientAge' }, modalitiesUsed: [] });
    expect(one.uncertainty).toEqual({ estimated: false, passes: 1, method: 'not estimated (one pass, no test-time augmentation)' });
    expect(one.notes).toEqual([]);
    const optional = { ...m, clinicalInputs: m.clinicalInputs.map((c) => ({ ...c, required: false })) };
    expect(summariseSurvival(optional, [h], { modalitiesUsed: [] })).toEqual(expect.objectContaining({ status: 'reported', notes: ['patient age unknown: the model was fed the neutral value 60 years'] }));
    const no = summariseSurvival(m, [h], { modalitiesUsed: [] });
    expect(no).toEqual(expect.objectContaining({ status: 'not-assessable', reason: 'patient age unknown: no PatientAge, PatientBirthDate/StudyDate', timePoints: [] }));
    expect(no.riskGroup).toBeUndefined();
    expect(no.ageYears).toBeUndefined();
  });
});
