/**
 * Every row of series_labels_dev.csv (real series names from UPENN-GBM, PPMI, NACC, Flywheel, dHCP lists and real
 * DICOM headers) is classified on its own, as a one-series study, from exactly what the row knows. Prints per-class
 * accuracy / precision / recall and the confusion matrix.
 */
import { classifyStudy } from '../../src/series-id/classify';
import type { SeriesRole } from '../../src/series-id/roles';
import { headerFromRow, LABEL_TO_ROLE, loadLabelledRows, type LabelledRow } from './labels-csv';
import { evaluate, formatEvaluation } from './metrics';

const { path, rows } = loadLabelledRows();
const results: Array<{ row: LabelledRow; truth: SeriesRole; predicted: SeriesRole; reasons: string[] }> = [];

function classifyRow(row: LabelledRow): { predicted: SeriesRole; reasons: string[]; confidence: number } {
  const out = classifyStudy([headerFromRow(row)]);
  const s = out.series[0]!;
  return { predicted: s.role, reasons: s.reasons, confidence: s.confidence };
}

describe(`series labels (${path})`, () => {
  it('has rows for every class', () => {
    const labels = new Set(rows.map((r) => r.label));
    expect([...labels].sort()).toEqual(['FLAIR', 'OTHER', 'T1', 'T1CE', 'T2']);
    expect(rows.length).toBeGreaterThan(100);
  });

  it.each(rows.map((r) => [`line ${r.line}: "${r.seriesDescription}" → ${r.label}`, r] as const))('%s', (_name, row) => {
    const truth = LABEL_TO_ROLE[row.label];
    expect(truth).toBeDefined();
    const { predicted, reasons, confidence } = classifyRow(row);
    results.push({ row, truth: truth!, predicted, reasons });
    expect(reasons.length).toBeGreaterThan(0);
    expect(confidence).toBeGreaterThanOrEqual(0);
    expect(confidence).toBeLessThanOrEqual(1);
    if (predicted !== truth) {
      throw new Error(`expected ${truth}, got ${predicted}\n  ${reasons.join('\n  ')}`);
    }
  });

  // Runs after the per-row cases (jest keeps declaration order within a file).
  it('reaches the accuracy floor overall (≥ 0.95) and per class (≥ 0.90)', () => {
    expect(results.length).toBe(rows.length);
    const e = evaluate(results);
    expect(e.accuracy).toBeGreaterThanOrEqual(0.95);
    for (const m of e.perClass) expect(`${m.role} ${m.recall >= 0.9 ? 'ok' : m.recall}`).toBe(`${m.role} ok`);
  });

  afterAll(() => {
    if (!results.length) return;
    const e = evaluate(results);
    const wrong = results.filter((r) => r.truth !== r.predicted);
    console.log(
      `${formatEvaluation('series_labels_dev.csv', e)}\n${wrong.length ? `\nmisclassified:\n${wrong.map((w) => `  line ${w.row.line} "${w.row.seriesDescription}": ${w.truth} → ${w.predicted} (${w.reasons[0]})`).join('\n')}` : ''}`,
    );
  });
});
