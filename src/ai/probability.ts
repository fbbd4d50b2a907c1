/**
 * Calibration and uncertainty maths on small vectors: temperature-scaled softmax/sigmoid, entropy, variance.
 * Pure functions; the voxel-wise versions live in inference.ts where they run inside the accumulation loops.
 */

export type Activation = 'softmax' | 'sigmoid' | 'probabilities';

/** softmax(z / T), numerically stable (max subtracted). */
export function softmax(logits: ArrayLike<number>, temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  const e: number[] = [];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = Math.exp(logits[i]! / temperature - max);
    e.push(v);
    sum += v;
  }
  return e.map((v) => v / sum);
}

export function sigmoid(z: number, temperature = 1): number {
  const x = z / temperature;
  // Stable for large |x|.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Class probabilities of a classification head from its raw output row.
 * - softmax: softmax(z / T);
 * - sigmoid: one output = P(second class) -> [1-p, p]; K outputs -> independent sigmoids renormalised to sum 1;
 * - probabilities: used as given (renormalised against rounding).
 */
export function headProbabilities(raw: ArrayLike<number>, activation: Activation, classes: number, temperature = 1): number[] {
  if (activation === 'softmax') return softmax(raw, temperature);
  if (activation === 'sigmoid') {
    if (raw.length === 1 && classes === 2) {
      const p = sigmoid(raw[0]!, temperature);
      return [1 - p, p];
    }
    const s = Array.from(raw, (z) => sigmoid(z, temperature));
    const sum = s.reduce((a, b) => a + b, 0) || 1;
    return s.map((v) => v / sum);
  }
  const p = Array.from(raw, (v) => Math.max(0, v));
  const sum = p.reduce((a, b) => a + b, 0) || 1;
  return p.map((v) => v / sum);
}

/** Shannon entropy in nats; 0·log 0 = 0. */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (v > 0) h -= v * Math.log(v);
  }
  return h;
}

/** Entropy / ln(K): 0 for a one-hot vector, 1 for the uniform one. */
export function normalisedEntropy(p: ArrayLike<number>): number {
  return p.length > 1 ? entropy(p) / Math.log(p.length) : 0;
}

/** Element-wise mean of equally long vectors. */
export function meanVector(vs: readonly (readonly number[])[]): number[] {
  if (!vs.length) throw new Error('meanVector of nothing');
  const out = new Array<number>(vs[0]!.length).fill(0);
  for (const v of vs) v.forEach((x, i) => (out[i]! += x / vs.length));
  return out;
}

/** Weighted mean of vectors; weights need not sum to 1 (falls back to the plain mean when they sum to 0). */
export function weightedMeanVector(vs: readonly (readonly number[])[], weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return meanVector(vs);
  const out = new Array<number>(vs[0]!.length).fill(0);
  vs.forEach((v, n) => v.forEach((x, i) => (out[i]! += (weights[n]! / total) * x)));
  return out;
}

/**
 * Mean over classes of the population variance of each class probability across passes (TTA).
 * 0 when every pass agrees; at most 0.25 for two classes.
 */
export function meanClassVariance(passes: readonly (readonly number[])[]): number {
  const mean = meanVector(passes);
  let acc = 0;
  for (let c = 0; c < mean.length; c++) {
    let v = 0;
    for (const p of passes) v += (p[c]! - mean[c]!) ** 2;
    acc += v / passes.length;
  }
  return acc / mean.length;
}

/**
 * Mutual information between prediction and TTA pass (epistemic part of the predictive entropy):
 * H(mean p) - mean H(p). >= 0; 0 when all passes agree.
 */
export function mutualInformation(passes: readonly (readonly number[])[]): number {
  const h = entropy(meanVector(passes));
  const eh = passes.reduce((a, p) => a + entropy(p), 0) / passes.length;
  return Math.max(0, h - eh);
}
