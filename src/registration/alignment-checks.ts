/**
 * Checks of a registration result that do not trust the optimiser: the transform's size (rotation angle, shift of
 * the head centre), mutual information and head-mask overlap between the reference and the moving series sampled
 * through the transform, each before (DICOM geometry) and after. elastix's WebAssembly build reports no final metric,
 * so the metric is computed here, the same way for both.
 */
import { applyAffine, multiply4, type Mat4 } from '../imaging/affine';
import { headMask } from '../imaging/head-mask';
import { resampleLinear } from '../imaging/resample';
import type { Vec3, Volume } from '../imaging/volume';

/** Rotation angle (degrees) of the linear part of a rigid 4x4. */
export function rotationAngleDeg(m: Mat4): number {
  const trace = m[0]! + m[5]! + m[10]!;
  return (Math.acos(Math.min(1, Math.max(-1, (trace - 1) / 2))) * 180) / Math.PI;
}

/** Where `m` moves point p, minus p (mm). */
export function displacementAt(m: Mat4, p: Vec3): Vec3 {
  const q = applyAffine(m, p);
  return [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
}

/** Mutual information (nats) of two equally long images over voxels finite in both; `bins` equal-width bins each. */
export function mutualInformation(a: Float32Array, b: Float32Array, bins = 32): number {
  let [amin, amax, bmin, bmax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < amin) amin = x;
    if (x > amax) amax = x;
    if (y < bmin) bmin = y;
    if (y > bmax) bmax = y;
  }
  if (!(amax > amin) || !(bmax > bmin)) return 0;
  const joint = new Float64Array(bins * bins);
  const sa = (bins - 1e-9) / (amax - amin);
  const sb = (bins - 1e-9) / (bmax - bmin);
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    joint[Math.floor((x - amin) * sa) * bins + Math.floor((y - bmin) * sb)]! += 1;
    n++;
  }
  const pa = new Float64Array(bins);
  const pb = new Float64Array(bins);
  for (let i = 0; i < bins; i++) for (let j = 0; j < bins; j++) {
    pa[i]! += joint[i * bins + j]!;
    pb[j]! += joint[i * bins + j]!;
  }
  let mi = 0;
  for (let i = 0; i < bins; i++) for (let j = 0; j < bins; j++) {
    const p = joint[i * bins + j]!;
    if (p > 0) mi += (p / n) * Math.log((p * n) / (pa[i]! * pb[j]!));
  }
  return mi;
}

/** Dice of two masks. */
export function maskDice(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    sa += a[i]!;
    sb += b[i]!;
    inter += a[i]! & b[i]!;
  }
  return sa + sb ? (2 * inter) / (sa + sb) : 0;
}

/** Head mask of an image with NaN outside its field of view. */
function maskOf(values: Float32Array, dims: Vec3): Uint8Array {
  const covered = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) covered[i] = Number.isFinite(values[i]) ? 1 : 0;
  return headMask(values, dims, { covered });
}

export interface AlignmentScore {
  mutualInformation: number;
  /** Dice of the reference's head mask and the moving series' head mask, both on the reference grid. */
  headOverlap: number;
}

/**
 * Scores `moving` sampled through fixedToMoving on the reference's grid (identity = DICOM geometry). Both volumes
 * should be coarse (the registration grid): this is a check, not a measurement of fine detail.
 */
export function scoreAlignment(reference: Volume<Float32Array>, moving: Volume, fixedToMoving: Mat4, referenceMask?: Uint8Array): AlignmentScore {
  const sampled = resampleLinear(moving, { dims: reference.dims, affine: multiply4(fixedToMoving, reference.affine) }, { fill: NaN });
  const refMask = referenceMask ?? maskOf(reference.data, reference.dims);
  const movMask = maskOf(sampled, reference.dims);
  return { mutualInformation: mutualInformation(reference.data, sampled), headOverlap: maskDice(refMask, movMask) };
}
