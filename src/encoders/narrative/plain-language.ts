/**
 * Plain-language wording for the patient version (patient page, SR and PDF narrative): what each model head is about, what its answer means, how sure
 * the program is, and how big the outlined area is, in everyday words. No percentages without words, no codes,
 * no abbreviations. Pure; the wording is the one place to review with patient representatives.
 */
import type { HeadResult, RegionMeasurement } from '../../ai/findings';
import type { HeadKind } from '../../ai/manifest';

export type PlainKind = 'idh' | 'codeletion' | 'grade' | 'lgg_hgg' | 'histology' | 'mgmt' | 'egfr';

interface PlainHead {
  /** What the question is, as a sentence fragment after "Whether"/"What". */
  topic: string;
  /** Class name -> what it means. */
  answers: Record<string, string>;
}

const PLAIN: Record<PlainKind, PlainHead> = {
  idh: {
    topic: 'A genetic change in the tumour cells that doctors use to tell types of brain tumour apart',
    answers: { wildtype: 'this change is probably not there', mutant: 'this change is probably there' },
  },
  codeletion: {
    topic: 'Whether two small pieces of the tumour cells\' genetic material are missing, which also helps doctors tell tumour types apart',
    answers: { intact: 'these pieces are probably not missing', codeleted: 'these pieces are probably missing' },
  },
  grade: {
    topic: 'How fast the tumour might grow (doctors describe this with a number called the grade, from 2 for slower-growing to 4 for fastest-growing)',
    answers: { '2': 'a slower-growing tumour (grade 2)', '3': 'a tumour in the middle range (grade 3)', '4': 'a fast-growing tumour (grade 4)' },
  },
  lgg_hgg: {
    topic: 'How fast the tumour might grow',
    answers: { LGG: 'a slower-growing tumour', HGG: 'a faster-growing tumour' },
  },
  histology: {
    topic: 'What kind of brain cells the tumour may have grown from',
    answers: {
      astrocytoma: 'star-shaped support cells (a tumour doctors call an astrocytoma)',
      oligodendroglioma: 'the cells that wrap and protect nerve fibres (a tumour doctors call an oligodendroglioma)',
      glioblastoma: 'support cells, in a fast-growing form (a tumour doctors call a glioblastoma)',
    },
  },
  mgmt: {
    topic: 'A chemical mark on one of the tumour\'s genes that can change how well some medicines work',
    answers: { methylated: 'this mark is probably there', unmethylated: 'this mark is probably not there' },
  },
  egfr: {
    topic: 'A change in a gene that controls how cells grow',
    answers: { mutant: 'this change is probably there', wildtype: 'this change is probably not there' },
  },
};

/** The manifest's head kind -> its everyday wording; generic heads have none. */
const PLAIN_KIND: Record<HeadKind, PlainKind | undefined> = {
  idh: 'idh',
  codeletion_1p19q: 'codeletion',
  who_grade: 'grade',
  lgg_hgg: 'lgg_hgg',
  histology: 'histology',
  mgmt: 'mgmt',
  egfr: 'egfr',
  generic: undefined,
};

/** Which kind of question a head answers, from the kind its manifest declares; undefined for heads we have no words for. */
export function plainKind(h: HeadResult): PlainKind | undefined {
  return PLAIN_KIND[h.kind];
}

/** "about 8 in 10"; never "0 in 10" or "10 in 10", which would claim certainty the program does not have. */
export function chanceWords(p: number): string {
  const n = Math.round(p * 10);
  if (n >= 10) return 'more than 9 in 10';
  if (n <= 0) return 'less than 1 in 10';
  return `about ${n} in 10`;
}

/** Same thresholds as the encoders' patient narrative (src/encoders/narrative/templates.ts). */
export function sureWords(p: number): string {
  return p >= 0.85 ? 'fairly sure' : p >= 0.65 ? 'somewhat sure' : 'unsure';
}

export interface PlainGuess {
  topic: string;
  /** Undefined when the program could not decide. */
  answer?: string;
  sure?: string;
  chance?: string;
}

export function plainGuess(h: HeadResult): PlainGuess | undefined {
  const kind = plainKind(h);
  if (!kind) return undefined;
  const words = PLAIN[kind];
  const answer = words.answers[h.predicted];
  if (h.indeterminate || !answer) return { topic: words.topic };
  return { topic: words.topic, answer, sure: sureWords(h.confidence), chance: chanceWords(h.confidence) };
}

/** Everyday comparison for a volume in millilitres. */
export function sizeComparison(volumeMl: number): string {
  if (volumeMl < 2.5) return 'smaller than half a teaspoon';
  if (volumeMl < 10) return 'about a teaspoonful';
  if (volumeMl < 25) return 'about a tablespoonful';
  if (volumeMl < 55) return 'about the size of a golf ball';
  if (volumeMl < 100) return 'about the size of a hen\'s egg';
  if (volumeMl < 250) return 'about the size of a tennis ball';
  return 'larger than a tennis ball';
}

/** The region a patient should hear about: the whole tumour with its swelling (or a metastasis model's total). */
export function outlinedArea(regions: RegionMeasurement[]): RegionMeasurement | undefined {
  return regions.find((r) => r.key === 'WT') ?? regions.find((r) => r.key === 'GTV');
}

export function overallSureness(level: 'low' | 'moderate' | 'high'): string {
  return level === 'low' ? 'fairly sure' : level === 'moderate' ? 'only moderately sure' : 'not very sure';
}
