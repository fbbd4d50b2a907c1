/** Per-class precision/recall and a confusion matrix, printed as plain-text tables in the test output. */
import type { SeriesRole } from '../../src/series-id/roles';

export const CLASSES: readonly SeriesRole[] = ['t1', 't1ce', 't2', 'flair', 'other'];

export interface ClassMetrics {
  role: SeriesRole;
  n: number;
  correct: number;
  predicted: number;
  /** Correct / labelled (per-class accuracy = recall). */
  recall: number;
  precision: number;
  f1: number;
}

export interface Evaluation {
  total: number;
  correct: number;
  accuracy: number;
  perClass: ClassMetrics[];
  /** confusion[truth][predicted] */
  confusion: Record<SeriesRole, Record<SeriesRole, number>>;
}

export function evaluate(pairs: ReadonlyArray<{ truth: SeriesRole; predicted: SeriesRole }>): Evaluation {
  const confusion = Object.fromEntries(CLASSES.map((t) => [t, Object.fromEntries(CLASSES.map((p) => [p, 0]))])) as Evaluation['confusion'];
  for (const { truth, predicted } of pairs) confusion[truth][predicted]++;
  const perClass = CLASSES.map((role) => {
    const n = CLASSES.reduce((s, p) => s + confusion[role][p], 0);
    const predicted = CLASSES.reduce((s, t) => s + confusion[t][role], 0);
    const correct = confusion[role][role];
    const recall = n ? correct / n : NaN;
    const precision = predicted ? correct / predicted : NaN;
    const f1 = recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : NaN;
    return { role, n, correct, predicted, recall, precision, f1 };
  });
  const correct = pairs.filter((p) => p.truth === p.predicted).length;
  return { total: pairs.length, correct, accuracy: pairs.length ? correct / pairs.length : NaN, perClass, confusion };
}

const pct = (x: number): string => (Number.isNaN(x) ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);

export function formatEvaluation(title: string, e: Evaluation): string {
  const lines = [
    `${title}: ${e.correct}/${e.total} correct, accuracy ${pct(e.accuracy).trim()}`,
    '',
    'class   labelled  correct  accuracy(recall)  precision      F1',
    ...e.perClass.map(
      (m) => `${m.role.padEnd(7)} ${String(m.n).padStart(8)} ${String(m.correct).padStart(8)}  ${pct(m.recall).padStart(16)}  ${pct(m.precision).padStart(9)}  ${pct(m.f1).padStart(6)}`,
    ),
    '',
    'confusion (rows = label, columns = predicted)',
    `${''.padEnd(7)} ${CLASSES.map((c) => c.padStart(6)).join(' ')}`,
    ...CLASSES.map((t) => `${t.padEnd(7)} ${CLASSES.map((p) => String(e.confusion[t][p]).padStart(6)).join(' ')}`),
  ];
  return lines.join('\n');
}
