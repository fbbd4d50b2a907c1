/**
 * 4x4 affine helpers on the row-major Float64Array(16) layout of Volume.affine (voxel -> patient LPS mm).
 * Pure functions; the hot loops (resampling) read the matrix entries directly instead of calling these per voxel.
 */
import type { Vec3 } from './volume';

export type Mat4 = Float64Array;

export function identity4(): Mat4 {
  return new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
}

export function multiply4(a: Mat4, b: Mat4): Mat4 {
  const out = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!;
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/** Inverse of an affine 4x4 (last row 0 0 0 1): inverts the 3x3 part and the translation. */
export function invertAffine(m: Mat4): Mat4 {
  const [a, b, c, tx] = [m[0]!, m[1]!, m[2]!, m[3]!];
  const [d, e, f, ty] = [m[4]!, m[5]!, m[6]!, m[7]!];
  const [g, h, i, tz] = [m[8]!, m[9]!, m[10]!, m[11]!];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('affine is singular (zero voxel size or collinear axes)');
  const inv3 = [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ];
  const out = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    out[r * 4] = inv3[r * 3]!;
    out[r * 4 + 1] = inv3[r * 3 + 1]!;
    out[r * 4 + 2] = inv3[r * 3 + 2]!;
    out[r * 4 + 3] = -(inv3[r * 3]! * tx + inv3[r * 3 + 1]! * ty + inv3[r * 3 + 2]! * tz);
  }
  out[15] = 1;
  return out;
}

/** Column c (0..3) of the affine as a vector (c = 0,1,2: voxel step along i, j, k; 3: origin). */
export function column(m: Mat4, c: number): Vec3 {
  return [m[c]!, m[4 + c]!, m[8 + c]!];
}

export function norm(v: Vec3): number {
  return Math.hypot(v[0], v[1], v[2]);
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function scale(v: Vec3, s: number): Vec3 {
  return [v[0] * s, v[1] * s, v[2] * s];
}

export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function normalize(v: Vec3): Vec3 {
  const n = norm(v);
  return n > 0 ? [v[0] / n, v[1] / n, v[2] / n] : [0, 0, 0];
}

/** Voxel sizes along i, j, k (lengths of the first three columns). */
export function spacingOf(m: Mat4): Vec3 {
  return [norm(column(m, 0)), norm(column(m, 1)), norm(column(m, 2))];
}

/** Unit direction of each voxel axis (columns of the affine, normalised). */
export function directionsOf(m: Mat4): [Vec3, Vec3, Vec3] {
  return [normalize(column(m, 0)), normalize(column(m, 1)), normalize(column(m, 2))];
}

/** Affine from unit axis directions, voxel sizes and the position of voxel (0,0,0). */
export function affineFromAxes(dirs: [Vec3, Vec3, Vec3], spacing: Vec3, origin: Vec3): Mat4 {
  const m = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    m[r * 4] = dirs[0][r]! * spacing[0];
    m[r * 4 + 1] = dirs[1][r]! * spacing[1];
    m[r * 4 + 2] = dirs[2][r]! * spacing[2];
    m[r * 4 + 3] = origin[r]!;
  }
  m[15] = 1;
  return m;
}

/** Applies an affine to a point. */
export function applyAffine(m: Mat4, p: Vec3): Vec3 {
  return [
    m[0]! * p[0] + m[1]! * p[1] + m[2]! * p[2] + m[3]!,
    m[4]! * p[0] + m[5]! * p[1] + m[6]! * p[2] + m[7]!,
    m[8]! * p[0] + m[9]! * p[1] + m[10]! * p[2] + m[11]!,
  ];
}

/** LPS <-> RAS: negate x and y (the same matrix both ways). */
export const LPS_TO_RAS: Mat4 = new Float64Array([-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);

/** Largest absolute difference between two matrices' first three rows (mm for translations). */
export function maxAbsDiff(a: Mat4, b: Mat4): number {
  let m = 0;
  for (let i = 0; i < 12; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
