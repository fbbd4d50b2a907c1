/**
 * An analytic head phantom for registration tests: smooth-edged ellipsoids (scalp, brain, ventricles, an off-centre
 * lesion), asymmetric so a rigid pose is unique, sampled on any grid after a known rigid head motion.
 */
import { applyAffine, invertAffine, type Mat4 } from '../../src/imaging/affine';
import { affineFromDicom, type Vec3, type Volume } from '../../src/imaging/volume';
import { compose, rotationXYZ, translation } from '../../src/synth/geometry';

const DEG = Math.PI / 180;

function blob(p: Vec3, c: Vec3, r: Vec3): number {
  const d = Math.sqrt(((p[0] - c[0]) / r[0]) ** 2 + ((p[1] - c[1]) / r[1]) ** 2 + ((p[2] - c[2]) / r[2]) ** 2);
  return 1 / (1 + Math.exp((d - 1) * 30)); // ~1 inside, ~0 outside, 1-2 mm of edge
}

/**
 * Phantom intensity at a head-frame point (LPS mm): nested tissues blended at their edges. `contrast` 1 maps the
 * tissues through a non-linear (monotone) intensity change. Re-ordering the tissues instead biases the MI optimum of
 * this few-blob phantom by several mm (real anatomy has far more edges); cross-weighting accuracy is measured on the
 * synthetic anatomy (test/registration/motion-study.test.ts).
 */
export function phantomAt(p: Vec3, contrast = 0): number {
  const values = contrast ? [100, 160, 40, 250, 210] : [60, 100, 20, 160, 130];
  const layers = [
    blob(p, [0, 0, 0], [72, 92, 70]),
    blob(p, [0, 4, 6], [62, 80, 58]),
    blob(p, [4, -6, 14], [10, 22, 12]),
    blob(p, [-28, 20, 18], [14, 12, 16]),
    blob(p, [20, -40, -10], [8, 10, 8]),
  ];
  return layers.reduce((v, w, i) => v * (1 - w) + values[i]! * w, 0);
}

/** Rigid head motion: rotation (deg, about x then y then z) around `centre`, then translation (mm). */
export function motion(rotationDeg: Vec3, translationMm: Vec3, centre: Vec3 = [0, 0, 0]): Mat4 {
  return compose(translation(translationMm), translation(centre), rotationXYZ(rotationDeg[0] * DEG, rotationDeg[1] * DEG, rotationDeg[2] * DEG), translation([-centre[0], -centre[1], -centre[2]]));
}

/** An axial grid (or a permuted/oblique one via `dirs`) of `dims` voxels with `spacing`, centred on the origin. */
export function grid(dims: Vec3, spacing: Vec3, dirs: [Vec3, Vec3, Vec3] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]): Float64Array {
  const origin = [0, 1, 2].map((r) => -dirs[0][r]! * ((dims[0] - 1) / 2) * spacing[0] - dirs[1][r]! * ((dims[1] - 1) / 2) * spacing[1] - dirs[2][r]! * ((dims[2] - 1) / 2) * spacing[2]) as Vec3;
  return affineFromDicom(origin, dirs[0], dirs[1], dirs[2], spacing);
}

/** Samples the phantom on a grid after the head moved by `headMotion` (head-frame -> scanner). */
export function sample(dims: Vec3, affine: Float64Array, headMotion: Mat4, contrast = 0): Volume<Float32Array> {
  const inv = invertAffine(headMotion);
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  let n = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) {
        const world = applyAffine(affine, [i, j, k]);
        data[n++] = phantomAt(applyAffine(inv, world), contrast);
      }
  const spacing = [0, 1, 2].map((c) => Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!)) as Vec3;
  return { dims, spacing, affine, data };
}

/** The 8 corners of the phantom brain's bounding box (head frame, LPS mm). */
export const BRAIN_BOX_CORNERS: Vec3[] = [-62, 62].flatMap((x) => [-76, 84].flatMap((y) => [-52, 64].map((z) => [x, y, z] as Vec3)));

/** Largest distance (mm) between where two transforms send the brain box corners. */
export function cornerError(a: Mat4, b: Mat4, corners: Vec3[] = BRAIN_BOX_CORNERS): number {
  return Math.max(...corners.map((c) => {
    const p = applyAffine(a, c);
    const q = applyAffine(b, c);
    return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
  }));
}
