/** Monitoring, drift and tissue diagnosis: pure functions over review records (src/review). */
import { spawnSync } from 'node:child_process';
import type { HeadResult } from '../../src/ai/findings';
import { exposition, reviewMetrics } from '../../src/metrics/metrics';
import { headAgreement, molecularBody, tissueDiagnosis } from '../../src/review/molecular';
import { caseAgreed, driftStatus, monitoring, monitoringCsv } from '../../src/review/monitoring';
import type { ResultEntry, ReviewRecord } from '../../src/review/review-store';

const SETTINGS = { agreementMinDice: 0.8, calibrationMinCases: 2, drift: { window: 3, minAgreement: 0.6 } };
let nextId = 1;
const review = (decision: ReviewRecord['decision'], wtDice?: number, model = 'glioma', version = '1'): ReviewRecord => ({
  id: nextId,
  jobId: nextId++,
  model,
  modelVersion: version,
  decision,
  reviewer: 'r',
  organisation: 'o',
  ...(wtDice !== undefined ? { agreement: [{ key: 'WT', dice: wtDice, aiVolumeMl: 10, correctedVolumeMl: 9, volumeDifferenceMl: -1, hausdorff95Mm: 2 }] } : {}),
  reviewedAt: nextId,
});
const result = (jobId: number, version = '1'): ResultEntry => ({ jobId, model: 'glioma', modelVersion: version, studyInstanceUid: '1.2', sourceSeriesUid: '1.3', srInstanceUid: '1.4', srSeriesUid: '1.5', registeredAt: 0 });

describe('drift', () => {
  test('a case agrees when accepted, or corrected with WT Dice at least agreementMinDice', () => {
    expect(caseAgreed(review('accepted'), 0.8)).toBe(true);
    expect(caseAgreed(review('rejected'), 0.8)).toBe(false);
    expect(caseAgreed(review('corrected', 0.85), 0.8)).toBe(true);
    expect(caseAgreed(review('corrected', 0.5), 0.8)).toBe(false);
  });
  test('no alert until the window is full; alert when agreement over the last N drops below the threshold', () => {
    expect(driftStatus([review('rejected'), review('rejected')], SETTINGS)).toMatchObject({ cases: 2, agreement: 0, alert: false });
    expect(driftStatus([review('accepted'), review('accepted'), review('corrected', 0.9)], SETTINGS)).toMatchObject({ cases: 3, agreement: 1, alert: false });
    // Old good cases fall out of the window.
    expect(driftStatus([review('accepted'), review('accepted'), review('accepted'), review('rejected'), review('corrected', 0.3)], SETTINGS)).toMatchObject({ cases: 3, alert: true });
  });
});

describe('monitoring', () => {
  test('rates, Dice histogram, head accuracy and calibration per model version; CSV', () => {
    const reviews = [review('accepted'), review('corrected', 0.92), review('corrected', 0.55), review('rejected', undefined, 'glioma', '2')];
    const results = [result(1), result(2), result(3), result(4), result(5, '2'), result(6, '2')];
    const idh = (agrees: boolean, confidence: number) => ({ head: 'idh', field: 'idh' as const, predicted: 'wildtype', tissue: agrees ? 'wildtype' : 'mutant', agrees, confidence, indeterminate: false });
    const mol = [1, 2, 3].map((j) => ({ id: j, jobId: j, model: 'glioma', modelVersion: '1', studyInstanceUid: '1.2', enteredBy: 'lis', enteredAt: j, tissue: { idh: 'wildtype' as const }, agreement: [idh(j !== 3, j === 3 ? 0.55 : 0.9)] }));
    const [v1, v2] = monitoring(results, reviews, mol, SETTINGS);
    expect(v1).toMatchObject({ version: '1', delivered: 4, pending: 1, accepted: 1, corrected: 2, rejected: 0, acceptanceRate: 1 / 3, correctionRate: 2 / 3 });
    expect(v1!.dice).toEqual([0.92, 0.55]);
    expect(v1!.diceHistogram[9]).toBe(1);
    expect(v1!.diceHistogram[5]).toBe(1);
    expect(v1!.heads[0]).toMatchObject({ head: 'idh', cases: 3, agreeing: 2 });
    expect(v1!.heads[0]!.calibration!.map((b) => [b.from, b.cases, b.accuracy])).toEqual([[0.4, 1, 0], [0.8, 2, 1]]);
    expect(v2).toMatchObject({ version: '2', delivered: 2, rejected: 1, rejectionRate: 1 });
    const csv = monitoringCsv([v1!, v2!]).trim().split('\n');
    expect(csv[0]).toMatch(/^model,version,delivered,pending,accepted,rejected,corrected/);
    expect(csv[1]).toMatch(/^glioma,1,4,1,1,0,2,0\.3333,0\.6667,2,0\.735,/);
    expect(csv[1]).toMatch(/,idh,3,0\.6667$/);
    // /metrics: Prometheus's own linter accepts the review metrics.
    const text = exposition(reviewMetrics([v1!, v2!]));
    expect(text).toContain('neuro_onc_review_results{model="glioma",version="1",state="corrected"} 2');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
  });
});

describe('tissue results', () => {
  const head = (id: string, kind: HeadResult['kind'], predicted: string, confidence = 0.8, indeterminate = false): HeadResult => ({ head: id, kind, title: id, classes: [], predicted, confidence, uncertainty: { entropy: 0, normalisedEntropy: 0 }, indeterminate, temperature: 1 });
  test('integrated WHO CNS5 diagnosis from tissue with the model diagnosis rules', () => {
    expect(tissueDiagnosis({ idh: 'mutant', codeletion1p19q: 'codeleted', grade: '3' })!.integrated.label).toBe('Oligodendroglioma, IDH-mutant and 1p/19q-codeleted, CNS WHO grade 3');
    expect(tissueDiagnosis({ idh: 'mutant', codeletion1p19q: 'intact', grade: '2' })!.integrated.label).toBe('Astrocytoma, IDH-mutant, CNS WHO grade 2');
    expect(tissueDiagnosis({ idh: 'wildtype', grade: '4' })!.integrated.label).toBe('Glioblastoma, IDH-wildtype, CNS WHO grade 4');
    expect(tissueDiagnosis({ histology: 'metastasis', egfr: 'mutant' })).toBeUndefined();
    expect(tissueDiagnosis({ idh: 'wildtype', grade: '4' })!.reasoning[0]).toMatch(/tissue/);
  });
  test('agreement per head; indeterminate heads never agree; heads the model lacks are skipped', () => {
    // Matched by kind, whatever the head's id.
    const a = headAgreement([head('idh_status', 'idh', 'wildtype'), head('codel', 'codeletion_1p19q', 'intact', 0.5, true), head('grade', 'who_grade', '3')], { idh: 'wildtype', codeletion1p19q: 'intact', grade: '4', egfr: 'mutant' });
    expect(a.map((x) => [x.head, x.agrees, x.predicted])).toEqual([['idh_status', true, 'wildtype'], ['codel', false, 'indeterminate'], ['grade', false, '3']]);
    // An LGG/HGG head is compared with the grade: 4 is HGG.
    expect(headAgreement([head('hgg', 'lgg_hgg', 'HGG')], { grade: '4' })[0]).toMatchObject({ tissue: 'HGG', agrees: true });
  });
  test('the API body refuses unknown fields and an empty entry', () => {
    expect(molecularBody.safeParse({ idh: 'wildtype', mgmt: 'methylated' }).success).toBe(false);
    expect(molecularBody.safeParse({ model: 'glioma' }).success).toBe(false);
    expect(molecularBody.safeParse({ model: 'glioma', grade: '4' }).success).toBe(true);
  });
});
