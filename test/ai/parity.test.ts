/**
 * The parity check itself (src/ai/parity.ts), on made-up runs: identical runs pass; each tolerance, missed on its
 * own, fails with a sentence naming it. The GPU parity test and the GPU check rely on it.
 */
import { compareRuns, formatParity, PARITY_TOLERANCES, type ParityRun } from '../../src/ai/parity';

const N = 10_000;

/** Two channels (background, tumour) over N voxels; tumour where v % 10 < 3. */
function run(): ParityRun {
  const fg = Float32Array.from({ length: N }, (_, v) => (v % 10 < 3 ? 0.9 : 0.1));
  const bg = fg.map((p) => 1 - p);
  const labels = Uint8Array.from(fg, (p) => (p > 0.5 ? 1 : 0));
  return { probabilities: [bg, fg], labels, heads: [[0.7, 0.3]] };
}

function copy(r: ParityRun): ParityRun {
  return { probabilities: r.probabilities.map((p) => Float32Array.from(p)), labels: Uint8Array.from(r.labels), heads: r.heads!.map((h) => [...h]) };
}

describe('compareRuns', () => {
  it('passes identical runs, and differences inside the tolerances', () => {
    const a = run();
    expect(compareRuns(a, copy(a))).toMatchObject({ pass: true, maxAbsProbability: 0, argmaxAgreement: 1, minDice: 1, failures: [] });
    const b = copy(a);
    (b.probabilities[1] as Float32Array)[5] = 0.1 + 9e-4;
    const r = compareRuns(a, b);
    expect(r.pass).toBe(true);
    expect(r.maxAbsProbability).toBeCloseTo(9e-4, 6);
  });

  it('fails a probability off by more than 1e-3, naming the difference', () => {
    const b = copy(run());
    (b.probabilities[0] as Float32Array)[42] = (b.probabilities[0] as Float32Array)[42]! + 2e-3;
    const r = compareRuns(run(), b);
    expect(r.pass).toBe(false);
    expect(r.failures).toEqual([expect.stringMatching(/^probabilities differ by up to 2\.00e-3 \(tolerance 0\.001\)$/)]);
  });

  it('fails a head probability off by more than 1e-3', () => {
    const b = copy(run());
    b.heads = [[0.7 + 5e-3, 0.3 - 5e-3]];
    expect(compareRuns(run(), b).failures).toEqual([expect.stringMatching(/^probabilities differ by up to 5\.00e-3/)]);
  });

  it('fails when the argmax differs on more than 0.1 % of voxels (and the label Dice drops)', () => {
    const a = run();
    const b = copy(a);
    // 20 of 10 000 voxels (0.2 %) swap their most probable class by a hair, inside the probability tolerance.
    let swapped = 0;
    for (let v = 0; v < N && swapped < 20; v++) {
      if (v % 10 !== 3) continue;
      (a.probabilities[0] as Float32Array)[v] = 0.5002;
      (a.probabilities[1] as Float32Array)[v] = 0.4998;
      (b.probabilities[0] as Float32Array)[v] = 0.4998;
      (b.probabilities[1] as Float32Array)[v] = 0.5002;
      b.labels[v] = 1;
      swapped++;
    }
    const r = compareRuns(a, b);
    expect(r.maxAbsProbability).toBeLessThan(PARITY_TOLERANCES.maxAbsProbability);
    expect(r.argmaxAgreement).toBeCloseTo(0.998, 6);
    expect(r.pass).toBe(false);
    expect(r.failures[0]).toMatch(/^argmax agrees on 99\.800 % of voxels \(needs 99\.9 %\)$/);
    expect(r.failures[1]).toMatch(/^label Dice down to 0\.99/);
  });

  it('fails on the label maps alone when only a few voxels of a small label differ (Dice per label)', () => {
    const a = run();
    const b = copy(a);
    a.labels[3] = 2; // a one-voxel label (on background) present in one map only: Dice 0 for label 2
    const r = compareRuns(a, b);
    expect(r.dice).toEqual({ '1': 1, '2': 0 });
    expect(r.pass).toBe(false);
  });

  it('counts NaN as the worst difference, never as agreement', () => {
    const b = copy(run());
    (b.probabilities[1] as Float32Array)[7] = NaN;
    const r = compareRuns(run(), b);
    expect(r.maxAbsProbability).toBe(Infinity);
    expect(r.pass).toBe(false);
  });

  it('refuses runs of different shapes', () => {
    const b = copy(run());
    expect(() => compareRuns(run(), { ...b, probabilities: [b.probabilities[0]!] })).toThrow(/2 vs 1 probability channels/);
    expect(() => compareRuns(run(), { ...b, labels: new Uint8Array(3) })).toThrow(/label voxels/);
  });

  it('formats one line', () => {
    const a = run();
    expect(formatParity(compareRuns(a, copy(a)))).toBe('PASS: max |dp| 0.00e+0, argmax agreement 100.000 %, min label Dice 1.00000');
  });
});
