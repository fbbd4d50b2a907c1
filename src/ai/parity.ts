/**
 * Numerical parity of two runs of one model on one case (a GPU provider against CPU), with the tolerances the node
 * promises (docs/ai-engine.md): every probability within 1e-3, the same argmax on at least 99.9 % of voxels, and
 * Dice >= 0.999 for every label of the two label maps. Pure: the GPU parity test, the GPU check and the S11 bench
 * all call it.
 */

export interface ParityRun {
  /** Per output channel, one probability per voxel (as SegmentationRaw.probabilities). */
  probabilities: readonly Float32Array[];
  /** Label map (0 = background). */
  labels: Uint8Array;
  /** Per classification head, its class probabilities. */
  heads?: ReadonlyArray<readonly number[]>;
}

export interface ParityTolerances {
  maxAbsProbability: number;
  minArgmaxAgreement: number;
  minDice: number;
}

export const PARITY_TOLERANCES: ParityTolerances = { maxAbsProbability: 1e-3, minArgmaxAgreement: 0.999, minDice: 0.999 };

export interface ParityReport {
  /** Largest |a - b| over every voxel probability and every head probability. */
  maxAbsProbability: number;
  /** Share of voxels whose most probable channel is the same. */
  argmaxAgreement: number;
  /** Dice per label present in either map. */
  dice: Record<string, number>;
  /** Smallest of those (1 when neither map has a label). */
  minDice: number;
  pass: boolean;
  /** One sentence per tolerance missed. */
  failures: string[];
}

function argmaxAt(p: readonly Float32Array[], v: number): number {
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c]![v]! > p[best]![v]!) best = c;
  return best;
}

function labelDice(a: Uint8Array, b: Uint8Array): Record<string, number> {
  const inA = new Map<number, number>();
  const inB = new Map<number, number>();
  const both = new Map<number, number>();
  for (let v = 0; v < a.length; v++) {
    const x = a[v]!;
    const y = b[v]!;
    if (x) inA.set(x, (inA.get(x) ?? 0) + 1);
    if (y) inB.set(y, (inB.get(y) ?? 0) + 1);
    if (x && x === y) both.set(x, (both.get(x) ?? 0) + 1);
  }
  const out: Record<string, number> = {};
  for (const l of [...new Set([...inA.keys(), ...inB.keys()])].sort((p, q) => p - q)) {
    out[String(l)] = (2 * (both.get(l) ?? 0)) / ((inA.get(l) ?? 0) + (inB.get(l) ?? 0));
  }
  return out;
}

/** Compares run `b` (e.g. webgpu) with reference run `a` (cpu). Throws when the runs are not of the same shape. */
export function compareRuns(a: ParityRun, b: ParityRun, tol: ParityTolerances = PARITY_TOLERANCES): ParityReport {
  if (a.probabilities.length !== b.probabilities.length) throw new Error(`parity: ${a.probabilities.length} vs ${b.probabilities.length} probability channels`);
  if (a.labels.length !== b.labels.length) throw new Error(`parity: ${a.labels.length} vs ${b.labels.length} label voxels`);
  const n = a.labels.length;
  let maxAbs = 0;
  a.probabilities.forEach((pa, c) => {
    const pb = b.probabilities[c]!;
    if (pa.length !== n || pb.length !== n) throw new Error(`parity: probability channel ${c} does not have ${n} voxels`);
    for (let v = 0; v < n; v++) {
      const d = Math.abs(pa[v]! - pb[v]!);
      if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d; // NaN on one side counts as the worst difference
    }
  });
  (a.heads ?? []).forEach((ha, h) => {
    const hb = b.heads?.[h];
    if (!hb || hb.length !== ha.length) throw new Error(`parity: head ${h} differs in shape`);
    ha.forEach((x, i) => {
      const d = Math.abs(x - hb[i]!);
      if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    });
  });
  let same = 0;
  if (a.probabilities.length) for (let v = 0; v < n; v++) if (argmaxAt(a.probabilities, v) === argmaxAt(b.probabilities, v)) same++;
  const argmaxAgreement = a.probabilities.length && n ? same / n : 1;
  const dice = labelDice(a.labels, b.labels);
  const minDice = Math.min(1, ...Object.values(dice));
  const failures: string[] = [];
  if (!(maxAbs <= tol.maxAbsProbability)) failures.push(`probabilities differ by up to ${maxAbs.toExponential(2)} (tolerance ${tol.maxAbsProbability})`);
  if (argmaxAgreement < tol.minArgmaxAgreement) failures.push(`argmax agrees on ${(argmaxAgreement * 100).toFixed(3)} % of voxels (needs ${(tol.minArgmaxAgreement * 100).toFixed(1)} %)`);
  if (minDice < tol.minDice) failures.push(`label Dice down to ${minDice.toFixed(5)} (needs ${tol.minDice}): ${JSON.stringify(dice)}`);
  return { maxAbsProbability: maxAbs, argmaxAgreement, dice, minDice, pass: failures.length === 0, failures };
}

/** One line for logs and the GPU check. */
export function formatParity(r: ParityReport): string {
  return `${r.pass ? 'PASS' : 'FAIL'}: max |dp| ${r.maxAbsProbability.toExponential(2)}, argmax agreement ${(r.argmaxAgreement * 100).toFixed(3)} %, min label Dice ${r.minDice.toFixed(5)}${r.failures.length ? ` (${r.failures.join('; ')})` : ''}`;
}
