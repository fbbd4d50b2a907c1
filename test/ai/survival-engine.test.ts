/** @jest-environment ./test/ai/ort-environment.js */
/** The survival head end to end through onnxruntime-node: age fed, figures in the findings, the cases it is not reported. */
import { join } from 'node:path';
import { analyseStudy, type StudyCase } from '../../src/ai/engine';
import { findingsSchema } from '../../src/ai/findings-schema';
import { loadPackage, warmUp, type LoadedModel } from '../../src/ai/registry';
import type { SeriesVolume, Vec3 } from '../../src/imaging/volume';
import { makePhantom, type Phantom } from './phantom';

const FIX = join(__dirname, '../fixtures/models');
let model: LoadedModel;
beforeAll(async () => {
  model = await loadPackage(join(FIX, 'tiny-glioma-survival'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
});
afterAll(async () => {
  await model.session.release();
});

function reference(ph: Phantom): SeriesVolume {
  const g = ph.input;
  return {
    dims: g.dims, spacing: g.spacing, affine: g.affine, data: new Int16Array(g.dims[0] * g.dims[1] * g.dims[2]),
    seriesInstanceUid: '1.2.3.2', frameOfReferenceUid: '1.2.3.4', imageOrientationPatient: [1, 0, 0, 0, 1, 0],
    sources: Array.from({ length: g.dims[2] }, (_, k) => ({ sopClassUid: '1.2.840.10008.5.1.4.1.1.4', sopInstanceUid: `1.2.3.2.${k + 1}`, imagePositionPatient: [g.affine[3]!, g.affine[7]!, g.affine[11]! + k * g.spacing[2]] as Vec3 })),
  };
}
function study(ph: Phantom, clinical: StudyCase['clinical']): StudyCase {
  return {
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.9',
    grid: ph.input,
    inputs: (['t1', 't1ce', 't2', 'flair'] as const).filter((r) => ph.input.channels[r]).map((role, n) => ({ role, seriesInstanceUid: `1.2.3.${n + 1}`, sopClassUid: '1.2.840.10008.5.1.4.1.1.4', sopInstanceUids: [`1.2.3.${n + 1}.1`] })),
    referenceSeries: reference(ph),
    ...(clinical ? { clinical } : {}),
  };
}
const age = (years: number) => ({ age: { years, source: 'PatientAge' as const } });

describe('survival head through the engine', () => {
  const ph = makePhantom();

  it('feeds the age: older patients get lower survival; TTA gives the spread; findings pass the schema', async () => {
    const young = await analyseStudy(model, study(ph, age(45.7)), { tta: true, minComponentMl: 0.1 });
    const old = await analyseStudy(model, study(ph, age(75)), { tta: true, minComponentMl: 0.1 });
    const s = young.survival![0]!;
    expect(s).toEqual(expect.objectContaining({ head: 'survival', status: 'reported', ageYears: 45, ageSource: 'PatientAge', outcomes: 'synthetic', modalitiesUsed: ['t1', 't1ce', 't2', 'flair'] }));
    expect(s.statement).toMatch(/not a prediction for this patient/);
    expect(s.timePoints.map((t) => t.months)).toEqual([12, 24, 60]);
    for (const t of s.timePoints) {
      expect(t.probability).toBeGreaterThan(0);
      expect(t.probability).toBeLessThan(1);
      expect(t.min!).toBeLessThanOrEqual(t.probability);
      expect(t.max!).toBeGreaterThanOrEqual(t.probability);
      expect(t.std!).toBeGreaterThan(0); // the flips change the pooled features
    }
    // S decreases with time, and with age (the graph's hazards rise with its age input).
    expect(s.timePoints[0]!.probability).toBeGreaterThan(s.timePoints[2]!.probability);
    const o = old.survival![0]!;
    o.timePoints.forEach((t, i) => expect(t.probability).toBeLessThan(s.timePoints[i]!.probability - 0.05));
    expect(s.uncertainty).toEqual(expect.objectContaining({ estimated: true, passes: 8 }));
    expect(s.riskGroup!.atMonths).toBe(24);
    expect(s.riskGroup!.survivalProbability).toBeCloseTo(s.timePoints[1]!.probability, 12);
    // The classification heads are unchanged by the survival head.
    expect(young.heads.map((h) => h.head)).toEqual(['idh', 'codeletion_1p19q', 'grade', 'histology']);
    expect(findingsSchema.safeParse(young).success).toBe(true);
  });

  it('without TTA: one pass, uncertainty not estimated', async () => {
    const f = await analyseStudy(model, study(ph, age(60)), { tta: false, minComponentMl: 0.1 });
    const s = f.survival![0]!;
    expect(s.uncertainty).toEqual({ estimated: false, passes: 1, method: 'not estimated (one pass, no test-time augmentation)' });
    expect(s.timePoints[0]!.std).toBeUndefined();
  });

  it('age unknown: not assessable with the reason, everything else as with an age', async () => {
    const withAge = await analyseStudy(model, study(ph, age(60)), { tta: false, minComponentMl: 0.1 });
    const f = await analyseStudy(model, study(ph, undefined), { tta: false, minComponentMl: 0.1 });
    const s = f.survival![0]!;
    expect(s).toEqual(expect.objectContaining({ status: 'not-assessable', reason: 'patient age unknown: no PatientAge, PatientBirthDate/StudyDate', timePoints: [] }));
    expect(s.ageYears).toBeUndefined();
    expect(f.warnings).toContain('Overall survival not assessable: patient age unknown: no PatientAge, PatientBirthDate/StudyDate');
    expect(f.heads).toEqual(withAge.heads);
    expect(f.regions).toEqual(withAge.regions);
    expect(findingsSchema.safeParse(f).success).toBe(true);
  });

  it('no tumour segmented: not applicable', async () => {
    const f = await analyseStudy(model, study(ph, age(60)), { tta: false, minComponentMl: 1e6 });
    expect(f.noTumourDetected).toBeDefined();
    expect(f.survival![0]).toEqual(expect.objectContaining({ status: 'not-applicable', timePoints: [] }));
    expect(f.warnings).toContain('no tumour segmented: Overall survival not applicable (not reported)');
  });

  it('a missing sequence: the segmentation rules do not stop the head, and the subset used is recorded', async () => {
    const { flair: _flair, ...rest } = ph.input.channels;
    const noFlair = { ...ph, input: { ...ph.input, channels: rest } };
    const m = model.manifest;
    const strict = { ...model, manifest: { ...m, missingModalities: { ...m.missingModalities, segmentationRequires: [['flair' as const]] } } };
    const f = await analyseStudy(strict, study(noFlair, age(60)), { tta: false, minComponentMl: 0.1 });
    expect(f.segmentationWithheld).toBeDefined();
    expect(f.survival![0]).toEqual(expect.objectContaining({ status: 'reported', modalitiesUsed: ['t1', 't1ce', 't2'] }));
  });

  it('a graph that gives another number of hazards than the declared bins is refused by name, not read past its end', async () => {
    const m = model.manifest;
    const s = m.outputs.survival[0]!;
    const wider = { ...s, shape: ['N', 'B'], timeBinsMonths: [...s.timeBinsMonths, 150] };
    const bad = { ...model, manifest: { ...m, outputs: { ...m.outputs, survival: [wider] } } };
    await expect(analyseStudy(bad, study(ph, age(60)), { tta: false })).rejects.toMatchObject({
      name: 'InferenceInputError',
      reason: 'bad-output',
      message: 'survival head "survival" output "survival_hazard" gave 9 values for 10 time bins',
    });
  });

  it('warm-up feeds the clinical input too', async () => {
    await expect(warmUp(model)).resolves.toBeGreaterThan(0);
  });
});
