/** Full-study header sets per vendor: every series' role, the selection per role and the missing roles. */
import { classifyStudy } from '../../src/series-id/classify';
import { MODEL_ROLES } from '../../src/series-id/roles';
import { allSyntheticStudies } from './synthetic-studies';
import { evaluate, formatEvaluation } from './metrics';
import type { SeriesRole } from '../../src/series-id/roles';

const pairs: Array<{ truth: SeriesRole; predicted: SeriesRole }> = [];

describe.each(allSyntheticStudies().map((s) => [s.name, s] as const))('%s', (_name, study) => {
  const result = classifyStudy(study.headers);

  it('assigns every series its expected role, with reasons', () => {
    expect(result.series).toHaveLength(study.headers.length);
    for (const s of result.series) {
      const want = study.expected.get(s.seriesInstanceUid)!;
      pairs.push({ truth: want.role, predicted: s.role });
      const context = `series ${s.seriesNumber} '${s.seriesDescription}':\n  ${s.reasons.join('\n  ')}`;
      expect(`${s.seriesNumber} ${s.role}`).toBe(`${s.seriesNumber} ${want.role}`);
      expect(s.reasons.length).toBeGreaterThan(0);
      if (want.because) expect({ context, matches: s.reasons.some((r) => want.because!.test(r)) }).toEqual({ context, matches: true });
    }
  });

  it('selects the expected series per role and says why', () => {
    for (const s of result.series) {
      const want = study.expected.get(s.seriesInstanceUid)!;
      if (want.selected != null) expect(`${s.seriesNumber} selected=${s.selected}`).toBe(`${s.seriesNumber} selected=${want.selected}`);
      if (s.selected) expect(result.selected[s.role as keyof typeof result.selected]).toBe(s.seriesInstanceUid);
    }
    for (const role of MODEL_ROLES) {
      const selected = result.series.filter((s) => s.role === role && s.selected);
      expect(selected.length).toBe(result.missing.includes(role) ? 0 : 1);
    }
  });

  it('reports the missing roles and does not guess them', () => {
    expect(result.missing).toEqual(study.missing);
    for (const role of study.missing) expect(result.series.some((s) => s.role === role)).toBe(false);
  });

  it('output is ordered by series number and confidences are in 0..1', () => {
    const numbers = result.series.map((s) => s.seriesNumber ?? 0);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    for (const s of result.series) {
      expect(s.confidence).toBeGreaterThanOrEqual(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
      expect(Object.keys(s.scores).sort()).toEqual(['flair', 'other', 't1', 't1ce', 't2']);
    }
  });
});

afterAll(() => {
  if (pairs.length) console.log(formatEvaluation('synthetic vendor studies (all series)', evaluate(pairs)));
});
