/**
 * Class labels of a synthetic case (what a model's classification heads are trained on) and the WHO CNS5 (2021)
 * integrated diagnosis they imply. The rules follow WHO CNS5 (Louis et al. 2021): IDH-wildtype diffuse astrocytic
 * glioma with necrosis = glioblastoma, grade 4; IDH-mutant + 1p/19q-codeleted = oligodendroglioma, grade 2/3;
 * IDH-mutant + 1p/19q-intact = astrocytoma (grade 2/3 here; grade 4 astrocytomas are not generated).
 */

export const TUMOUR_KINDS = ['gbm', 'astro', 'oligo', 'mets', 'none'] as const;
export type TumourKind = (typeof TUMOUR_KINDS)[number];

export function isTumourKind(s: string): s is TumourKind {
  return (TUMOUR_KINDS as readonly string[]).includes(s);
}

export interface ClassLabels {
  tumor: TumourKind;
  /** 'glioma' | 'metastasis' | 'none'. */
  category: 'glioma' | 'metastasis' | 'none';
  histology: 'glioblastoma' | 'astrocytoma' | 'oligodendroglioma' | null;
  idh: 'mutant' | 'wildtype' | null;
  codeletion_1p19q: 'codeleted' | 'intact' | null;
  /** CNS WHO grade as a string ('2' | '3' | '4'), null for non-gliomas. */
  grade: '2' | '3' | '4' | null;
  integratedDiagnosis: string;
  /** Metastases only. */
  primary: 'lung adenocarcinoma' | null;
  egfr: 'mutant' | 'wildtype' | null;
}

export function gliomaLabels(kind: 'gbm' | 'astro' | 'oligo', grade: 2 | 3 | 4): ClassLabels {
  const base = { tumor: kind, category: 'glioma' as const, primary: null, egfr: null, grade: String(grade) as '2' | '3' | '4' };
  switch (kind) {
    case 'gbm':
      return {
        ...base, histology: 'glioblastoma', idh: 'wildtype', codeletion_1p19q: 'intact', grade: '4',
        integratedDiagnosis: 'Glioblastoma, IDH-wildtype, CNS WHO grade 4',
      };
    case 'astro':
      return {
        ...base, histology: 'astrocytoma', idh: 'mutant', codeletion_1p19q: 'intact',
        integratedDiagnosis: `Astrocytoma, IDH-mutant, CNS WHO grade ${grade}`,
      };
    case 'oligo':
      return {
        ...base, histology: 'oligodendroglioma', idh: 'mutant', codeletion_1p19q: 'codeleted',
        integratedDiagnosis: `Oligodendroglioma, IDH-mutant and 1p/19q-codeleted, CNS WHO grade ${grade}`,
      };
  }
}

export function metastasisLabels(egfr: 'mutant' | 'wildtype'): ClassLabels {
  return {
    tumor: 'mets', category: 'metastasis', histology: null, idh: null, codeletion_1p19q: null, grade: null,
    primary: 'lung adenocarcinoma', egfr,
    integratedDiagnosis: `Brain metastases of lung adenocarcinoma, EGFR-${egfr === 'mutant' ? 'mutant' : 'wildtype'}`,
  };
}

export function healthyLabels(): ClassLabels {
  return {
    tumor: 'none', category: 'none', histology: null, idh: null, codeletion_1p19q: null, grade: null,
    primary: null, egfr: null, integratedDiagnosis: 'No tumour',
  };
}
