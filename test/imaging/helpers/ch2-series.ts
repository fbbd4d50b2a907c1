/**
 * Test series from real anatomy: the mricron ch2 template (Debian mricron-data) resampled onto a scan plan
 * (orientation, resolution, slice step, field of view) and rounded to integers, ready for the series writer.
 */
import { affineFromAxes, applyAffine, cross, normalize } from '../../../src/imaging/affine';
import { readNifti, type NiftiImage } from '../../../src/imaging/nifti';
import { resampleLinear } from '../../../src/imaging/resample';
import type { Vec3, Volume } from '../../../src/imaging/volume';

export const CH2 = '/usr/share/mricron/templates/ch2.nii.gz';

let cached: NiftiImage | undefined;
export function ch2(): NiftiImage {
  cached ??= readNifti(CH2);
  return cached;
}

export interface ScanPlan {
  /** Row (i) and column (j) direction cosines, LPS. */
  row: Vec3;
  col: Vec3;
  /** [column spacing (i), row spacing (j), slice step (k)] mm. */
  spacing: Vec3;
  dims: Vec3;
  /** Value = round(template * gain + offset). */
  gain?: number;
  offset?: number;
  /** Reverse the slice direction (k along -normal) to test sorting. */
  reverseSlices?: boolean;
}

export const AXIAL = { row: [1, 0, 0] as Vec3, col: [0, 1, 0] as Vec3 };
export const SAGITTAL = { row: [0, 1, 0] as Vec3, col: [0, 0, -1] as Vec3 };
export const CORONAL = { row: [1, 0, 0] as Vec3, col: [0, 0, -1] as Vec3 };

/** Rotates a plane's cosines by angles (degrees) about x, then y, then z. */
export function rotatePlane(plane: { row: Vec3; col: Vec3 }, ax: number, ay: number, az: number): { row: Vec3; col: Vec3 } {
  const r = (v: Vec3): Vec3 => {
    const [a, b, c] = [ax, ay, az].map((d) => (d * Math.PI) / 180) as Vec3;
    let [x, y, z] = v;
    [y, z] = [y * Math.cos(a) - z * Math.sin(a), y * Math.sin(a) + z * Math.cos(a)];
    [x, z] = [x * Math.cos(b) + z * Math.sin(b), -x * Math.sin(b) + z * Math.cos(b)];
    [x, y] = [x * Math.cos(c) - y * Math.sin(c), x * Math.sin(c) + y * Math.cos(c)];
    return [x, y, z];
  };
  return { row: normalize(r(plane.row)), col: normalize(r(plane.col)) };
}

/** Centre of the ch2 head (its volume centre), LPS mm. */
export function ch2Centre(): Vec3 {
  const t = ch2();
  return applyAffine(t.affine, [(t.dims[0] - 1) / 2, (t.dims[1] - 1) / 2, (t.dims[2] - 1) / 2]);
}

/** The plan's affine, centred on the ch2 head. */
export function planAffine(plan: ScanPlan, centre: Vec3 = ch2Centre()): Float64Array {
  let normal = cross(plan.row, plan.col);
  if (plan.reverseSlices) normal = [-normal[0], -normal[1], -normal[2]];
  const dirs: [Vec3, Vec3, Vec3] = [plan.row, plan.col, normal];
  const origin = [0, 1, 2].map(
    (r) => centre[r]! - dirs.reduce((s, d, a) => s + d[r]! * plan.spacing[a]! * ((plan.dims[a]! - 1) / 2), 0),
  ) as Vec3;
  return affineFromAxes(dirs, plan.spacing, origin);
}

/** ch2 resampled onto the plan, as Int16 (or Float32 when `float`). */
export function ch2Series(plan: ScanPlan, opts: { float?: boolean } = {}): Volume<Int16Array | Float32Array> {
  const affine = planAffine(plan);
  const v = resampleLinear(ch2(), { dims: plan.dims, affine }, { fill: 0 });
  const gain = plan.gain ?? 4;
  const offset = plan.offset ?? 0;
  const data = opts.float ? new Float32Array(v.length) : new Int16Array(v.length);
  for (let i = 0; i < v.length; i++) data[i] = opts.float ? v[i]! * gain + offset : Math.round(v[i]! * gain + offset);
  return { dims: plan.dims, spacing: plan.spacing, affine, data };
}
