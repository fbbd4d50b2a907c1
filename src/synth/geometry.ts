/**
 * Small 4x4 affine helpers (row-major Float64Array(16), the layout of Volume.affine) used to place the synthetic
 * head in the scanner and to plan series. The general matrix/vector operations are the imaging ones
 * (src/imaging/affine.ts), re-exported under the names the generator uses.
 */
import { applyAffine, column, cross, dot, identity4, invertAffine, multiply4, norm, normalize, type Mat4 } from '../imaging/affine';
import type { Vec3 } from '../imaging/volume';

export type { Mat4 };
export { applyAffine as apply, column, cross, dot, identity4 as identity, invertAffine as invert, multiply4 as multiply, norm, normalize as normalise };
const identity = identity4;
const multiply = multiply4;

/** Product of several matrices, applied right to left (compose(A, B, C) = A * B * C). */
export function compose(...ms: Mat4[]): Mat4 {
  return ms.reduce((acc, m) => multiply(acc, m), identity());
}

export function translation(t: Vec3): Mat4 {
  return new Float64Array([1, 0, 0, t[0], 0, 1, 0, t[1], 0, 0, 1, t[2], 0, 0, 0, 1]);
}

export function scaling(s: Vec3): Mat4 {
  return new Float64Array([s[0], 0, 0, 0, 0, s[1], 0, 0, 0, 0, s[2], 0, 0, 0, 0, 1]);
}

/** Rotation by angles (radians) about x, then y, then z (R = Rz * Ry * Rx). */
export function rotationXYZ(ax: number, ay: number, az: number): Mat4 {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  const rx = new Float64Array([1, 0, 0, 0, 0, cx, -sx, 0, 0, sx, cx, 0, 0, 0, 0, 1]);
  const ry = new Float64Array([cy, 0, sy, 0, 0, 1, 0, 0, -sy, 0, cy, 0, 0, 0, 0, 1]);
  const rz = new Float64Array([cz, -sz, 0, 0, sz, cz, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  return compose(rz, ry, rx);
}

/** Applies only the linear part (directions, not points). */
export function applyLinear(m: Mat4, v: Vec3): Vec3 {
  return [
    m[0]! * v[0] + m[1]! * v[1] + m[2]! * v[2],
    m[4]! * v[0] + m[5]! * v[1] + m[6]! * v[2],
    m[8]! * v[0] + m[9]! * v[1] + m[10]! * v[2],
  ];
}


/** Rotation by `angle` radians about the unit vector `axis` (Rodrigues). */
export function axisAngle(axis: Vec3, angle: number): Mat4 {
  const [x, y, z] = axis;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return new Float64Array([
    t * x * x + c, t * x * y - s * z, t * x * z + s * y, 0,
    t * x * y + s * z, t * y * y + c, t * y * z - s * x, 0,
    t * x * z - s * y, t * y * z + s * x, t * z * z + c, 0,
    0, 0, 0, 1,
  ]);
}
