/**
 * Tissue (molecular and histological) results entered weeks after the scan, the integrated WHO CNS5 diagnosis they
 * give, and where the model's pre-operative prediction agreed. The integrated diagnosis reuses the model's layered
 * diagnosis logic (src/ai/diagnosis.ts) with certain "heads" made from the tissue results, so tissue and prediction
 * follow the same WHO CNS5 rules. Pure.
 */
import { z } from 'zod';
import { layeredDiagnosis } from '../ai/diagnosis';
import type { HeadResult, LayeredDiagnosis } from '../ai/findings';
import { HEAD_KIND_CLASSES, type HeadKind } from '../ai/manifest';

/** The tissue fields (API bodies add `model` to them). */
export const tissueFields = z
  .object({
    idh: z.enum(['wildtype', 'mutant']).optional(),
    codeletion1p19q: z.enum(['intact', 'codeleted']).optional(),
    grade: z.enum(['2', '3', '4']).optional(),
    histology: z.enum(['astrocytoma', 'oligodendroglioma', 'glioblastoma', 'metastasis', 'other']).optional(),
    /** Metastases (e.g. lung adenocarcinoma primaries). */
    egfr: z.enum(['wildtype', 'mutant']).optional(),
  })
  .strict();
const atLeastOne = (t: Record<string, unknown>): boolean => Object.keys(t).some((k) => k !== 'model' && t[k] !== undefined);
export const NO_TISSUE_RESULT = 'enter at least one tissue result (idh, codeletion1p19q, grade, histology, egfr)';
export const tissueResultsSchema = tissueFields.refine(atLeastOne, NO_TISSUE_RESULT);
/** POST /api/results/{id}/molecular */
export const molecularBody = tissueFields.extend({ model: z.string().min(1).max(64).optional() }).strict().refine(atLeastOne, NO_TISSUE_RESULT);
export type TissueResults = z.infer<typeof tissueFields>;
export type TissueField = keyof TissueResults;

/** Which model heads (by kind: what the head means, not its id) each tissue result is compared with. */
export const HEAD_KINDS_OF: Record<TissueField, readonly HeadKind[]> = {
  idh: ['idh'],
  codeletion1p19q: ['codeletion_1p19q'],
  grade: ['who_grade', 'lgg_hgg'],
  histology: ['histology'],
  egfr: ['egfr'],
};

const CLASSES: Record<TissueField, readonly string[]> = {
  idh: HEAD_KIND_CLASSES.idh,
  codeletion1p19q: HEAD_KIND_CLASSES.codeletion_1p19q,
  grade: HEAD_KIND_CLASSES.who_grade,
  histology: HEAD_KIND_CLASSES.histology,
  egfr: HEAD_KIND_CLASSES.egfr,
};

/** The tissue value in a head's classes (a WHO grade as LGG / HGG for an lgg_hgg head). */
function asHeadClass(kind: HeadKind, value: string): string {
  return kind === 'lgg_hgg' ? (value === '4' ? 'HGG' : 'LGG') : value;
}

export interface HeadAgreement {
  head: string;
  field: TissueField;
  predicted: string;
  tissue: string;
  agrees: boolean;
  /** The model's probability of the class it predicted (for the calibration curve). */
  confidence: number;
  indeterminate: boolean;
}

/** A head that is certain of the tissue result, in the shape layeredDiagnosis reads. */
function certainHead(kind: HeadKind, classes: readonly string[], value: string): HeadResult {
  return {
    head: kind,
    kind,
    title: kind,
    classes: classes.map((name) => ({ name, probability: name === value ? 1 : 0 })),
    predicted: value,
    confidence: 1,
    uncertainty: { entropy: 0, normalisedEntropy: 0 },
    indeterminate: false,
    temperature: 1,
  };
}

/** The integrated WHO CNS5 diagnosis from tissue; undefined without an IDH result (nothing to build it on). */
export function tissueDiagnosis(t: TissueResults): LayeredDiagnosis | undefined {
  if (!t.idh) return undefined;
  const histologyKnown = t.histology && CLASSES.histology.includes(t.histology);
  const dx = layeredDiagnosis({
    idh: certainHead('idh', CLASSES.idh, t.idh),
    ...(t.codeletion1p19q ? { codeletion: certainHead('codeletion_1p19q', CLASSES.codeletion1p19q, t.codeletion1p19q) } : {}),
    ...(t.grade ? { grade: certainHead('who_grade', CLASSES.grade, t.grade), gradeKind: 'who_grade' as const } : {}),
    ...(histologyKnown ? { histology: certainHead('histology', CLASSES.histology, t.histology!) } : {}),
  });
  if (!dx) return undefined;
  // The diagnosis logic speaks of image-based predictions; here its inputs are tissue results.
  dx.reasoning = ['Integrated diagnosis from the entered tissue (molecular and histological) results, WHO CNS5 rules.', ...dx.reasoning.slice(1).filter((r) => !/head:|Branch probabilities/.test(r))];
  return dx;
}

/** Each entered tissue result against the model's head of the same kind (results the model has no head for are skipped). */
export function headAgreement(heads: readonly HeadResult[], t: TissueResults): HeadAgreement[] {
  const out: HeadAgreement[] = [];
  for (const field of Object.keys(HEAD_KINDS_OF) as TissueField[]) {
    const value = t[field];
    const h = heads.find((x) => HEAD_KINDS_OF[field].includes(x.kind));
    if (value === undefined || !h) continue;
    const tissue = asHeadClass(h.kind, value);
    out.push({ head: h.head, field, predicted: h.indeterminate ? 'indeterminate' : h.predicted, tissue, agrees: !h.indeterminate && h.predicted === tissue, confidence: h.confidence, indeterminate: h.indeterminate });
  }
  return out;
}
