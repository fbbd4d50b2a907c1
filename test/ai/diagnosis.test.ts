import { layeredDiagnosis, type DiagnosisHeads } from '../../src/ai/diagnosis';
import { summariseHead } from '../../src/ai/inference';
import type { HeadSpec } from '../../src/ai/manifest';
import type { HeadResult } from '../../src/ai/findings';
import { rng } from './phantom';

function head(id: string, kind: HeadSpec['kind'], classes: string[], probs: number[]): HeadResult {
  const spec = {
    id, title: id, name: `${id}_logits`, dtype: 'float32', shape: ['N', classes.length], kind, activation: 'softmax',
    classes: classes.map((name) => ({ name })), temperature: 1, indeterminate: { minConfidence: 0.6, maxNormalisedEntropy: 0.9 }, aggregation: 'mean',
  } as HeadSpec;
  return summariseHead(spec, [probs]);
}
const idh = (pMut: number) => head('idh', 'idh', ['wildtype', 'mutant'], [1 - pMut, pMut]);
const codel = (p: number) => head('codeletion_1p19q', 'codeletion_1p19q', ['intact', 'codeleted'], [1 - p, p]);
const grade = (p2: number, p3: number, p4: number) => head('grade', 'who_grade', ['2', '3', '4'], [p2, p3, p4]);
const histo = (a: number, o: number, g: number) => head('histology', 'histology', ['astrocytoma', 'oligodendroglioma', 'glioblastoma'], [a, o, g]);
const sum = (d: { branches: { probability: number }[] }) => d.branches.reduce((a, b) => a + b.probability, 0);

describe('WHO CNS5 layered diagnosis', () => {
  it('IDH-wildtype with grade 4 features -> Glioblastoma, IDH-wildtype, CNS WHO grade 4', () => {
    const d = layeredDiagnosis({ idh: idh(0.05), codeletion: codel(0.05), grade: grade(0.05, 0.05, 0.9) })!;
    expect(d.integrated).toEqual({ label: 'Glioblastoma, IDH-wildtype, CNS WHO grade 4', code: { value: 'C39750', scheme: 'NCIt', meaning: 'Glioblastoma, IDH-Wildtype' }, probability: expect.closeTo(0.95 * 0.9, 12), indeterminate: false });
    expect(d.grade).toEqual({ label: 'CNS WHO grade 4', code: { value: 'C62397', scheme: 'NCIt', meaning: 'WHO CNS Grade 4' }, probability: expect.closeTo(0.9, 12) });
    expect(d.histology?.label).toBe('Glioblastoma');
    expect(sum(d)).toBeCloseTo(1, 12);
    expect(d.molecular).toEqual([{ name: 'IDH', status: 'wildtype', probability: 0.95 }, { name: '1p/19q', status: 'intact', probability: 0.95 }]);
    expect(d.references[0]).toMatch(/Louis DN/);
  });

  it('IDH-wildtype without grade 4 features -> diffuse astrocytic glioma NEC, no GBM code', () => {
    const d = layeredDiagnosis({ idh: idh(0.05), codeletion: codel(0.1), grade: grade(0.8, 0.15, 0.05) })!;
    expect(d.integrated.label).toBe('Diffuse astrocytic glioma, IDH-wildtype, without grade 4 imaging features (NEC)');
    expect(d.integrated.code).toBeUndefined();
    expect(d.integrated.indeterminate).toBe(false);
    expect(d.integrated.probability).toBeCloseTo(0.95 * 0.95, 12);
  });

  it('IDH-mutant + codeleted -> Oligodendroglioma, grade from the grade head', () => {
    const d = layeredDiagnosis({ idh: idh(0.9), codeletion: codel(0.9), grade: grade(0.2, 0.7, 0.1) })!;
    expect(d.integrated.label).toBe('Oligodendroglioma, IDH-mutant and 1p/19q-codeleted, CNS WHO grade 3');
    expect(d.integrated.code?.value).toBe('C129318');
    expect(d.integrated.probability).toBeCloseTo(0.81, 12);
    expect(d.grade).toEqual({ label: 'CNS WHO grade 3', code: { value: 'C62396', scheme: 'NCIt', meaning: 'WHO CNS Grade 3' }, probability: expect.closeTo(0.8, 12) });
  });

  it('oligodendroglioma has no grade 4: a grade-4 prediction counts as grade 3, with a note', () => {
    const d = layeredDiagnosis({ idh: idh(0.9), codeletion: codel(0.9), grade: grade(0.1, 0.1, 0.8) })!;
    expect(d.integrated.label).toMatch(/Oligodendroglioma.*CNS WHO grade 3$/);
    expect(d.grade?.probability).toBeCloseTo(0.9, 12);
    expect(d.reasoning.join(' ')).toMatch(/does not define for oligodendroglioma: counted as grade 3/);
  });

  it('IDH-mutant + intact -> Astrocytoma, IDH-mutant, grade 2/3/4 (glioblastoma-like histology allowed at grade 4)', () => {
    const d = layeredDiagnosis({ idh: idh(0.95), codeletion: codel(0.05), grade: grade(0.1, 0.2, 0.7), histology: histo(0.2, 0.05, 0.75) })!;
    expect(d.integrated.label).toBe('Astrocytoma, IDH-mutant, CNS WHO grade 4');
    expect(d.integrated.code?.value).toBe('C185167');
    expect(d.integrated.indeterminate).toBe(false);
    const g2 = layeredDiagnosis({ idh: idh(0.95), codeletion: codel(0.05), grade: grade(0.8, 0.1, 0.1) })!;
    expect(g2.integrated.label).toBe('Astrocytoma, IDH-mutant, CNS WHO grade 2');
  });

  it('indeterminate IDH -> Diffuse glioma, NOS, with the reason, no code', () => {
    const d = layeredDiagnosis({ idh: idh(0.55), codeletion: codel(0.05), grade: grade(0.1, 0.1, 0.8) })!;
    expect(d.integrated.indeterminate).toBe(true);
    expect(d.integrated.code).toBeUndefined();
    expect(d.integrated.label).toMatch(/^Diffuse glioma, NOS \(indeterminate/);
    expect(d.reasoning).toContain('Indeterminate: IDH status is indeterminate.');
    expect(d.grade).toBeUndefined();
  });

  it('never outputs a codeleted diagnosis with IDH-wildtype (incompatible heads)', () => {
    const d = layeredDiagnosis({ idh: idh(0.1), codeletion: codel(0.9), grade: grade(0.05, 0.05, 0.9) })!;
    expect(d.integrated.indeterminate).toBe(true);
    expect(d.integrated.code).toBeUndefined();
    expect(d.reasoning.join(' ')).toMatch(/biologically incompatible/);
  });

  it('histology head contradicting the molecular branch -> indeterminate', () => {
    const d = layeredDiagnosis({ idh: idh(0.95), codeletion: codel(0.95), grade: grade(0.7, 0.2, 0.1), histology: histo(0.05, 0.05, 0.9) })!;
    expect(d.integrated.indeterminate).toBe(true);
    expect(d.reasoning.join(' ')).toMatch(/histology head predicts glioblastoma \(90\.0%\) but the molecular heads point to Oligodendroglioma/);
  });

  it('leading branch below the threshold -> indeterminate even when each head is confident enough', () => {
    const heads = { idh: idh(0.7), codeletion: codel(0.7), grade: grade(0.7, 0.2, 0.1) };
    expect(heads.idh.indeterminate || heads.codeletion.indeterminate).toBe(false);
    const d = layeredDiagnosis(heads)!;
    expect(d.branches[0]!.probability).toBeCloseTo(0.49, 12);
    expect(d.integrated.indeterminate).toBe(true);
    expect(d.reasoning.join(' ')).toMatch(/most probable branch reaches only 49\.0% \(< 50\.0%\)/);
    expect(layeredDiagnosis(heads, { minBranchProbability: 0.4 })!.integrated.indeterminate).toBe(false);
  });

  it('missing heads: no IDH head -> no diagnosis; no 1p/19q head -> IDH-mutant NOS', () => {
    expect(layeredDiagnosis({ grade: grade(0.1, 0.1, 0.8) })).toBeUndefined();
    const d = layeredDiagnosis({ idh: idh(0.95), grade: grade(0.8, 0.1, 0.1) })!;
    expect(d.branches.map((b) => b.label)).toContain('Diffuse glioma, IDH-mutant, 1p/19q status not assessed (NOS)');
    expect(d.integrated.indeterminate).toBe(true);
    expect(sum(d)).toBeCloseTo(1, 12);
  });

  it('GMMAS-style LGG/HGG grade head: HGG counts as grade 4 features', () => {
    const hgg = head('grade', 'lgg_hgg', ['LGG', 'HGG'], [0.1, 0.9]);
    const d = layeredDiagnosis({ idh: idh(0.05), codeletion: codel(0.05), grade: hgg, gradeKind: 'lgg_hgg' })!;
    expect(d.integrated.label).toBe('Glioblastoma, IDH-wildtype, CNS WHO grade 4');
    const lgg = head('grade', 'lgg_hgg', ['LGG', 'HGG'], [0.9, 0.1]);
    const a = layeredDiagnosis({ idh: idh(0.95), codeletion: codel(0.05), grade: lgg, gradeKind: 'lgg_hgg' })!;
    expect(a.integrated.label).toBe('Astrocytoma, IDH-mutant');
    expect(a.grade?.label).toBe('CNS WHO grade 2 or 3 (LGG)');
  });

  it('properties over 2000 random head outputs: branches sum to 1; a coded diagnosis is always supported by the heads', () => {
    const r = rng(42);
    const dirichlet = (n: number) => {
      const x = Array.from({ length: n }, () => -Math.log(1 - r()));
      const s = x.reduce((a, b) => a + b, 0);
      return x.map((v) => v / s);
    };
    let coded = 0;
    for (let n = 0; n < 2000; n++) {
      const heads: DiagnosisHeads = { idh: idh(r()), codeletion: codel(r()), grade: grade(...(dirichlet(3) as [number, number, number])) };
      if (n % 2) heads.histology = histo(...(dirichlet(3) as [number, number, number]));
      const d = layeredDiagnosis(heads)!;
      expect(sum(d)).toBeCloseTo(1, 9);
      expect(d.integrated.probability).toBeCloseTo(d.branches[0]!.probability, 12);
      const code = d.integrated.code?.value;
      if (d.integrated.indeterminate) {
        expect(code).toBeUndefined();
        continue;
      }
      expect(d.integrated.probability).toBeGreaterThanOrEqual(0.5);
      expect(heads.idh!.indeterminate).toBe(false);
      if (code) coded++;
      if (code === 'C39750') {
        expect(heads.idh!.predicted).toBe('wildtype');
        expect(heads.grade!.predicted).toBe('4');
      }
      if (code === 'C129318') {
        expect(heads.idh!.predicted).toBe('mutant');
        expect(heads.codeletion!.predicted).toBe('codeleted');
      }
      if (code === 'C185167') {
        expect(heads.idh!.predicted).toBe('mutant');
        expect(heads.codeletion!.predicted).toBe('intact');
      }
      if (heads.histology && !heads.histology.indeterminate && code === 'C129318') expect(heads.histology.predicted).toBe('oligodendroglioma');
    }
    expect(coded).toBeGreaterThan(100); // the property checks actually exercised coded diagnoses
  });
});
