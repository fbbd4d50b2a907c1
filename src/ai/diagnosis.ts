/**
 * WHO CNS5 (2021) layered diagnosis of adult-type diffuse glioma from image-based head predictions.
 * A radiogenomic prediction, not a histopathological diagnosis. Pure functions.
 *
 * Branch probabilities treat the heads as independent given the image (product rule):
 *   P(GBM, IDH-wt)                      = P(IDH wt) · P(grade 4)
 *   P(diffuse astrocytic glioma, IDH-wt, without grade-4 imaging features) = P(IDH wt) · (1 − P(grade 4))
 *   P(oligodendroglioma)                = P(IDH mut) · P(1p/19q codeleted)
 *   P(astrocytoma, IDH-mut)             = P(IDH mut) · P(1p/19q intact)
 * These four sum to 1. Within a branch the grade is the grade head's distribution restricted to the grades the
 * entity allows (oligodendroglioma: 2 or 3, a grade-4 probability is counted as 3, as WHO defines no grade 4).
 * Rules (science.md §3.1): IDH-wt + grade-4 features -> Glioblastoma, IDH-wildtype, CNS WHO grade 4; IDH-mut +
 * codeleted -> Oligodendroglioma, IDH-mutant and 1p/19q-codeleted; IDH-mut + intact -> Astrocytoma, IDH-mutant.
 * The result is 'indeterminate' (with reasons) when a required head is indeterminate, the best branch is below
 * minBranchProbability, a codeletion is predicted with IDH-wildtype (biologically incompatible), or the histology
 * head contradicts the molecular branch.
 */
import type { CodedConcept, HeadResult, LayeredDiagnosis } from './findings';

export const WHO_CNS5_REFERENCES = [
  'Louis DN, Perry A, Wesseling P, et al. The 2021 WHO Classification of Tumors of the Central Nervous System: a summary. Neuro-Oncology 2021;23(8):1231-1251.',
  'WHO Classification of Tumours Editorial Board. Central nervous system tumours. 5th ed. Lyon: IARC; 2021.',
];

const NCIT = (value: string, meaning: string): CodedConcept => ({ value, scheme: 'NCIt', meaning });
export const DIAGNOSIS_CODES = {
  gbm: NCIT('C39750', 'Glioblastoma, IDH-Wildtype'),
  astro: NCIT('C185167', 'Astrocytoma, IDH-Mutant'),
  oligo: NCIT('C129318', 'Oligodendroglioma, IDH-Mutant and 1p/19q-Codeleted'),
  grade: { '2': NCIT('C62395', 'WHO CNS Grade 2'), '3': NCIT('C62396', 'WHO CNS Grade 3'), '4': NCIT('C62397', 'WHO CNS Grade 4') },
} as const;

export interface DiagnosisHeads {
  idh?: HeadResult;
  codeletion?: HeadResult;
  /** A who_grade head (classes '2','3','4') or an lgg_hgg head (classes 'LGG','HGG'). */
  grade?: HeadResult;
  gradeKind?: 'who_grade' | 'lgg_hgg';
  histology?: HeadResult;
}

export interface DiagnosisOptions {
  /** The best branch must reach this probability, else 'indeterminate' (default 0.5). */
  minBranchProbability?: number;
}

type Grade = '2' | '3' | '4';
type BranchId = 'gbm' | 'idhwt-nec' | 'oligo' | 'astro' | 'idhmut-nos' | 'idhwt-nos';

interface Branch {
  id: BranchId;
  label: string;
  probability: number;
  code?: CodedConcept;
}

const prob = (h: HeadResult | undefined, cls: string): number => h?.classes.find((c) => c.name === cls)?.probability ?? 0;

/** Grade probabilities p2, p3, p4 (renormalised over the classes the head has); null for LGG/HGG heads. */
function gradeDistribution(h: HeadResult | undefined, kind: DiagnosisHeads['gradeKind']): { p4: number; dist: Record<Grade, number> | null } | undefined {
  if (!h) return undefined;
  if (kind === 'lgg_hgg') return { p4: prob(h, 'HGG'), dist: null };
  const raw: Record<Grade, number> = { '2': prob(h, '2'), '3': prob(h, '3'), '4': prob(h, '4') };
  const s = raw['2'] + raw['3'] + raw['4'] || 1;
  const dist: Record<Grade, number> = { '2': raw['2'] / s, '3': raw['3'] / s, '4': raw['4'] / s };
  return { p4: dist['4'], dist };
}

function bestGrade(dist: Partial<Record<Grade, number>>): { grade: Grade; probability: number } {
  let best: Grade = '2';
  for (const g of Object.keys(dist) as Grade[]) if ((dist[g] ?? 0) > (dist[best] ?? 0)) best = g;
  return { grade: best, probability: dist[best] ?? 0 };
}

const pct = (p: number): string => `${(100 * p).toFixed(1)}%`;

/** The layered diagnosis, or undefined when the model has no IDH head (nothing to build on). */
export function layeredDiagnosis(heads: DiagnosisHeads, opts: DiagnosisOptions = {}): LayeredDiagnosis | undefined {
  const { idh, codeletion, grade, histology } = heads;
  if (!idh) return undefined;
  const minP = opts.minBranchProbability ?? 0.5;
  const reasoning: string[] = ['Image-based radiogenomic prediction from model heads; not a histopathological or molecular diagnosis.'];
  const problems: string[] = [];

  const pWt = prob(idh, 'wildtype');
  const pMut = prob(idh, 'mutant');
  const pCodel = codeletion ? prob(codeletion, 'codeleted') : undefined;
  const g = gradeDistribution(grade, heads.gradeKind ?? 'who_grade');

  const branches: Branch[] = [];
  if (g) {
    branches.push({ id: 'gbm', label: 'Glioblastoma, IDH-wildtype, CNS WHO grade 4', probability: pWt * g.p4, code: DIAGNOSIS_CODES.gbm });
    branches.push({
      id: 'idhwt-nec',
      label: 'Diffuse astrocytic glioma, IDH-wildtype, without grade 4 imaging features (NEC)',
      probability: pWt * (1 - g.p4),
    });
  } else {
    branches.push({ id: 'idhwt-nos', label: 'Diffuse astrocytic glioma, IDH-wildtype (grade not assessed, NOS)', probability: pWt });
  }
  if (pCodel !== undefined) {
    branches.push({ id: 'oligo', label: 'Oligodendroglioma, IDH-mutant and 1p/19q-codeleted', probability: pMut * pCodel, code: DIAGNOSIS_CODES.oligo });
    branches.push({ id: 'astro', label: 'Astrocytoma, IDH-mutant', probability: pMut * (1 - pCodel), code: DIAGNOSIS_CODES.astro });
  } else {
    branches.push({ id: 'idhmut-nos', label: 'Diffuse glioma, IDH-mutant, 1p/19q status not assessed (NOS)', probability: pMut });
  }
  branches.sort((a, b) => b.probability - a.probability);
  const top = branches[0]!;

  reasoning.push(`IDH head: wildtype ${pct(pWt)}, mutant ${pct(pMut)}${idh.indeterminate ? ' (indeterminate)' : ''}.`);
  if (codeletion) reasoning.push(`1p/19q head: codeleted ${pct(pCodel!)}${codeletion.indeterminate ? ' (indeterminate)' : ''}.`);
  if (grade) {
    reasoning.push(
      heads.gradeKind === 'lgg_hgg'
        ? `Grade head: HGG ${pct(g!.p4)} (taken as grade 4 features).`
        : `Grade head: grade 2 ${pct(g!.dist!['2'])}, grade 3 ${pct(g!.dist!['3'])}, grade 4 ${pct(g!.dist!['4'])}${grade.indeterminate ? ' (indeterminate)' : ''}.`,
    );
  }
  reasoning.push(`Branch probabilities (product of head probabilities, heads assumed independent): ${branches.map((b) => `${b.label} ${pct(b.probability)}`).join('; ')}.`);

  // Required heads for the leading branch.
  if (idh.indeterminate) problems.push('IDH status is indeterminate');
  const mutantSide = top.id === 'oligo' || top.id === 'astro' || top.id === 'idhmut-nos';
  if (mutantSide && codeletion?.indeterminate) problems.push('1p/19q status is indeterminate');
  if (mutantSide && !codeletion) problems.push('no 1p/19q head: oligodendroglioma and astrocytoma cannot be separated');
  if ((top.id === 'gbm' || top.id === 'idhwt-nec') && grade?.indeterminate) problems.push('grade is indeterminate, so grade 4 features cannot be called');
  if (top.probability < minP) problems.push(`the most probable branch reaches only ${pct(top.probability)} (< ${pct(minP)})`);
  // Biological consistency: codeletion without IDH mutation does not exist in WHO CNS5.
  if (codeletion && !idh.indeterminate && !codeletion.indeterminate && idh.predicted === 'wildtype' && codeletion.predicted === 'codeleted') {
    problems.push('1p/19q codeletion predicted with IDH-wildtype: biologically incompatible (codeletion defines the IDH-mutant oligodendroglioma)');
  }
  // Histology head as a consistency check.
  if (histology && !histology.indeterminate) {
    const allowed: Record<BranchId, string[]> = {
      gbm: ['glioblastoma'],
      'idhwt-nec': ['astrocytoma'],
      'idhwt-nos': ['astrocytoma', 'glioblastoma'],
      oligo: ['oligodendroglioma'],
      astro: ['astrocytoma', 'glioblastoma'], // grade 4 IDH-mutant astrocytoma was "GBM, IDH-mutant" before CNS5
      'idhmut-nos': ['astrocytoma', 'oligodendroglioma', 'glioblastoma'],
    };
    if (!allowed[top.id].includes(histology.predicted)) {
      problems.push(`histology head predicts ${histology.predicted} (${pct(histology.confidence)}) but the molecular heads point to ${top.label}`);
    } else {
      reasoning.push(`Histology head (${histology.predicted}, ${pct(histology.confidence)}) is consistent with the molecular branch.`);
    }
  }

  // Grade within the leading branch.
  let gradeLayer: LayeredDiagnosis['grade'];
  let integratedLabel = top.label;
  if (g && (top.id === 'gbm')) {
    gradeLayer = { label: 'CNS WHO grade 4', code: DIAGNOSIS_CODES.grade['4'], probability: g.p4 };
  } else if (g?.dist && top.id === 'oligo') {
    const d = { '2': g.dist['2'], '3': g.dist['3'] + g.dist['4'] };
    const b = bestGrade(d);
    gradeLayer = { label: `CNS WHO grade ${b.grade}`, code: DIAGNOSIS_CODES.grade[b.grade], probability: b.probability };
    integratedLabel = `${top.label}, CNS WHO grade ${b.grade}`;
    if (g.dist['4'] > Math.max(g.dist['2'], g.dist['3'])) {
      reasoning.push('Grade head favours grade 4, which WHO CNS5 does not define for oligodendroglioma: counted as grade 3.');
    }
  } else if (g?.dist && top.id === 'astro') {
    const b = bestGrade(g.dist);
    gradeLayer = { label: `CNS WHO grade ${b.grade}`, code: DIAGNOSIS_CODES.grade[b.grade], probability: b.probability };
    integratedLabel = `${top.label}, CNS WHO grade ${b.grade}`;
  } else if (g && !g.dist && (top.id === 'oligo' || top.id === 'astro')) {
    gradeLayer = g.p4 >= 0.5
      ? { label: 'high grade (HGG)', probability: g.p4 }
      : { label: 'CNS WHO grade 2 or 3 (LGG)', probability: 1 - g.p4 };
  }

  const indeterminate = problems.length > 0;
  for (const p of problems) reasoning.push(`Indeterminate: ${p}.`);
  const histologyOf: Record<BranchId, string | undefined> = {
    gbm: 'Glioblastoma',
    'idhwt-nec': 'Diffuse astrocytic glioma',
    'idhwt-nos': 'Diffuse astrocytic glioma',
    oligo: 'Oligodendroglioma',
    astro: 'Astrocytoma',
    'idhmut-nos': undefined,
  };
  const molecular: LayeredDiagnosis['molecular'] = [
    { name: 'IDH', status: idh.indeterminate ? 'indeterminate' : idh.predicted, probability: Math.max(pWt, pMut) },
  ];
  if (codeletion) {
    molecular.push({ name: '1p/19q', status: codeletion.indeterminate ? 'indeterminate' : codeletion.predicted, probability: Math.max(pCodel!, 1 - pCodel!) });
  }
  const hist = histologyOf[top.id];
  return {
    integrated: indeterminate
      ? { label: `Diffuse glioma, NOS (indeterminate; leading branch: ${integratedLabel})`, probability: top.probability, indeterminate: true }
      : { label: integratedLabel, ...(top.code ? { code: top.code } : {}), probability: top.probability, indeterminate: false },
    ...(hist && !indeterminate ? { histology: { label: hist, probability: top.probability } } : {}),
    ...(gradeLayer && !indeterminate ? { grade: gradeLayer } : {}),
    molecular,
    branches: branches.map((b) => ({ label: b.label, probability: b.probability, ...(b.code ? { code: b.code } : {}) })),
    reasoning,
    references: WHO_CNS5_REFERENCES,
  };
}
