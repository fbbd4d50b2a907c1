/**
 * The "scanner": places the synthetic head in the magnet (head pose), plans image stacks in patient coordinates,
 * and samples the case's weightings into them with a slice profile (partial-volume blur across thick slices and
 * large pixels), then applies a smooth multiplicative coil bias field and Rician noise.
 *
 * Frames: template space (anatomy grid, LPS mm) -> patient space (scanner LPS mm) by the pose matrix; a series'
 * Volume.affine maps its voxels to patient space. All series of a study share the pose and so one Frame of Reference.
 */
import type { Vec3, Volume } from '../imaging/volume';
import { affineFromDicom } from '../imaging/volume';
import type { Anatomy } from './anatomy';
import { apply, applyLinear, compose, cross, invert, rotationXYZ, scaling, translation, type Mat4 } from './geometry';
import type { Rng } from './random';

export interface HeadPose {
  /** Rotation of the head about the patient x (nod), y (roll) and z (yaw, "no") axes, degrees. */
  rotationDeg: Vec3;
  /** Head-size scaling along the template axes (left-right, anterior-posterior, head-foot). */
  scale: Vec3;
  /** Where the head centre lands in patient coordinates (mm from the isocentre). */
  centre: Vec3;
  /** Template LPS mm -> patient LPS mm. */
  matrix: Mat4;
}

const DEG = Math.PI / 180;

/** Random pose: rotation within about +/-15 deg (nod most), +/-6 % size per axis, head centre within a few cm. */
export function samplePose(anat: Anatomy, rng: Rng): HeadPose {
  const rotationDeg: Vec3 = [rng.uniform(-15, 15), rng.uniform(-10, 10), rng.uniform(-12, 12)];
  const scale: Vec3 = [rng.uniform(0.94, 1.06), rng.uniform(0.94, 1.06), rng.uniform(0.94, 1.06)];
  const centre: Vec3 = [rng.uniform(-8, 8), rng.uniform(-15, 15), rng.uniform(-25, 25)];
  return poseFrom(anat, rotationDeg, scale, centre);
}

export function poseFrom(anat: Anatomy, rotationDeg: Vec3, scale: Vec3, centre: Vec3): HeadPose {
  const c = anat.headCentre;
  const matrix = compose(
    translation(centre),
    rotationXYZ(rotationDeg[0] * DEG, rotationDeg[1] * DEG, rotationDeg[2] * DEG),
    scaling(scale),
    translation([-c[0], -c[1], -c[2]]),
  );
  return { rotationDeg, scale, centre, matrix };
}

export type PlaneOrientation = 'axial' | 'sagittal' | 'coronal';

export interface StackSpec {
  orientation: PlaneOrientation;
  /** Extra rotation of the slice plane about the patient x, y, z axes (degrees): oblique planning. */
  obliqueDeg?: Vec3;
  /** Pixel size along columns (i, the row direction) and rows (j). */
  pixelSpacing: [number, number];
  /** [columns, rows]. */
  matrix: [number, number];
  sliceThickness: number;
  /** Gap between slices (mm); slice step = thickness + gap. */
  sliceGap: number;
  slices: number;
  /** Stack centre in patient mm. */
  centre: Vec3;
  /** Slices ordered against the plane normal (e.g. head to feet for axial). */
  reverse?: boolean;
  /** Through-plane slice profile width (mm) sampled per slice; default the slice thickness (training variety). */
  profileMm?: number;
  /** In-plane Gaussian blur (sigma, mm) applied before bias and noise; default none (training variety). */
  blurSigmaMm?: number;
}

export interface PlannedStack {
  spec: StackSpec;
  /** Voxel -> patient LPS (the Volume.affine of the series). */
  affine: Float64Array;
  dims: Vec3;
  spacing: Vec3;
}

const BASE_DIRECTIONS: Record<PlaneOrientation, [Vec3, Vec3]> = {
  // [row direction (i), column direction (j)] as in ImageOrientationPatient.
  axial: [[1, 0, 0], [0, 1, 0]],
  sagittal: [[0, 1, 0], [0, 0, -1]],
  coronal: [[1, 0, 0], [0, 0, -1]],
};

export function planStack(spec: StackSpec): PlannedStack {
  const [u0, v0] = BASE_DIRECTIONS[spec.orientation];
  const o = spec.obliqueDeg ?? [0, 0, 0];
  const r = rotationXYZ(o[0] * DEG, o[1] * DEG, o[2] * DEG);
  const u = applyLinear(r, u0);
  const v = applyLinear(r, v0);
  let n = cross(u, v);
  if (spec.reverse) n = [-n[0], -n[1], -n[2]];
  const [sc, sr] = spec.pixelSpacing;
  const step = spec.sliceThickness + spec.sliceGap;
  const [cols, rows] = spec.matrix;
  const origin: Vec3 = [0, 1, 2].map(
    (a) => spec.centre[a]! - u[a]! * sc * (cols - 1) / 2 - v[a]! * sr * (rows - 1) / 2 - n[a]! * step * (spec.slices - 1) / 2,
  ) as Vec3;
  const affine = affineFromDicom(origin, u, v, n, [sc, sr, step]);
  return { spec, affine, dims: [cols, rows, spec.slices], spacing: [sc, sr, step] };
}

/** A voxel grid the sampler reads from: the anatomy grid (template space) or an already acquired series. */
export interface SourceGrid {
  dims: Vec3;
  /** Voxel -> the grid's frame (template mm for the anatomy, patient mm for a series). */
  affine: Float64Array;
  /** Voxel size used to decide how many sub-samples a larger output voxel needs (mm). */
  resolution: number;
}

/**
 * Samples weightings (volumes on the anatomy grid) into a planned stack. Each output voxel averages a small grid of
 * trilinear samples spanning its pixel size and slice thickness (box slice profile), which is the partial-volume blur
 * a thick slice or a coarse matrix really has. Returns one Float32Array per input volume.
 */
export function sampleStack(anat: Anatomy, pose: HeadPose, stack: PlannedStack, volumes: readonly Float32Array[]): Float32Array[] {
  return sampleGrid(anat, invert(pose.matrix), stack, volumes);
}

/**
 * Generic form: `sourceFromPatient` maps patient mm to the source grid's frame (inverse pose for the anatomy,
 * identity for a series volume; used for MPR reformats of an acquired series).
 */
export function sampleGrid(source: SourceGrid, sourceFromPatient: Mat4, stack: PlannedStack, volumes: readonly ArrayLike<number>[]): Float32Array[] {
  const m = compose(invert(source.affine), sourceFromPatient, stack.affine);
  const [nx, ny, nz] = source.dims;
  const [ci, cj, ck] = stack.dims;
  const res = source.resolution;
  const sub = (mm: number): number => Math.min(5, Math.max(1, Math.round(mm / res)));
  const ni = sub(stack.spacing[0]);
  const nj = sub(stack.spacing[1]);
  const profile = stack.spec.profileMm ?? stack.spec.sliceThickness;
  const nk = sub(profile);
  const thicknessInSteps = profile / stack.spacing[2];
  const offsets: number[] = [];
  for (let a = 0; a < ni; a++) {
    for (let b = 0; b < nj; b++) {
      for (let c = 0; c < nk; c++) {
        const oi = (a + 0.5) / ni - 0.5;
        const oj = (b + 0.5) / nj - 0.5;
        const ok = ((c + 0.5) / nk - 0.5) * thicknessInSteps;
        offsets.push(m[0]! * oi + m[1]! * oj + m[2]! * ok, m[4]! * oi + m[5]! * oj + m[6]! * ok, m[8]! * oi + m[9]! * oj + m[10]! * ok);
      }
    }
  }
  const nOff = offsets.length / 3;
  const outs = volumes.map(() => new Float32Array(ci * cj * ck));
  const nv = volumes.length;
  const acc = new Float64Array(nv);
  const sxy = nx * ny;
  for (let k = 0; k < ck; k++) {
    for (let j = 0; j < cj; j++) {
      const bx = m[1]! * j + m[2]! * k + m[3]!;
      const by = m[5]! * j + m[6]! * k + m[7]!;
      const bz = m[9]! * j + m[10]! * k + m[11]!;
      for (let i = 0; i < ci; i++) {
        const px = bx + m[0]! * i;
        const py = by + m[4]! * i;
        const pz = bz + m[8]! * i;
        acc.fill(0);
        for (let s = 0; s < nOff; s++) {
          const x = px + offsets[3 * s]!;
          const y = py + offsets[3 * s + 1]!;
          const z = pz + offsets[3 * s + 2]!;
          if (x < 0 || y < 0 || z < 0 || x >= nx - 1 || y >= ny - 1 || z >= nz - 1) continue;
          const x0 = x | 0;
          const y0 = y | 0;
          const z0 = z | 0;
          const fx = x - x0;
          const fy = y - y0;
          const fz = z - z0;
          const i000 = x0 + nx * y0 + sxy * z0;
          const w000 = (1 - fx) * (1 - fy) * (1 - fz);
          const w100 = fx * (1 - fy) * (1 - fz);
          const w010 = (1 - fx) * fy * (1 - fz);
          const w110 = fx * fy * (1 - fz);
          const w001 = (1 - fx) * (1 - fy) * fz;
          const w101 = fx * (1 - fy) * fz;
          const w011 = (1 - fx) * fy * fz;
          const w111 = fx * fy * fz;
          for (let v = 0; v < nv; v++) {
            const d = volumes[v]!;
            acc[v] = acc[v]! +
              w000 * d[i000]! + w100 * d[i000 + 1]! + w010 * d[i000 + nx]! + w110 * d[i000 + nx + 1]! +
              w001 * d[i000 + sxy]! + w101 * d[i000 + sxy + 1]! + w011 * d[i000 + sxy + nx]! + w111 * d[i000 + sxy + nx + 1]!;
          }
        }
        const o = i + ci * (j + cj * k);
        for (let v = 0; v < nv; v++) outs[v]![o] = acc[v]! / nOff;
      }
    }
  }
  return outs;
}

/** In place: separable Gaussian blur along i and j of every slice (sigma in mm; edges clamp). */
export function blurInPlane(data: Float32Array, dims: Vec3, spacing: Vec3, sigmaMm: number): void {
  const [ci, cj, ck] = dims;
  const line = new Float32Array(Math.max(ci, cj));
  for (const axis of [0, 1] as const) {
    const sigma = sigmaMm / spacing[axis];
    if (!(sigma > 0.05)) continue;
    const half = Math.ceil(3 * sigma);
    const w = Array.from({ length: 2 * half + 1 }, (_, t) => Math.exp(-((t - half) ** 2) / (2 * sigma * sigma)));
    const wsum = w.reduce((a, b) => a + b, 0);
    const len = axis === 0 ? ci : cj;
    const stride = axis === 0 ? 1 : ci;
    for (let k = 0; k < ck; k++) {
      for (let other = 0; other < (axis === 0 ? cj : ci); other++) {
        const base = k * ci * cj + (axis === 0 ? other * ci : other);
        for (let t = 0; t < len; t++) line[t] = data[base + t * stride]!;
        for (let t = 0; t < len; t++) {
          let acc = 0;
          for (let q = -half; q <= half; q++) acc += w[q + half]! * line[Math.min(len - 1, Math.max(0, t + q))]!;
          data[base + t * stride] = acc / wsum;
        }
      }
    }
  }
}

/** Smooth multiplicative receive-coil bias: exp of a random quadratic polynomial of position (patient mm / 100). */
export interface BiasField {
  centre: Vec3;
  /** Coefficients of x, y, z, x^2, y^2, z^2, xy, xz, yz. */
  coefficients: number[];
}

export function sampleBiasField(rng: Rng, centre: Vec3, strength = 1): BiasField {
  const lin = 0.12 * strength;
  const quad = 0.08 * strength;
  return {
    centre,
    coefficients: [lin, lin, lin, quad, quad, quad, quad, quad, quad].map((s) => s * rng.normal()),
  };
}

/** The session's field with a small per-series perturbation (coil re-tuning, different receive channels). */
export function perturbBiasField(b: BiasField, rng: Rng, sd = 0.03): BiasField {
  return { centre: b.centre, coefficients: b.coefficients.map((c) => c + sd * rng.normal()) };
}

export function biasAt(b: BiasField, p: Vec3): number {
  const x = (p[0] - b.centre[0]) / 100;
  const y = (p[1] - b.centre[1]) / 100;
  const z = (p[2] - b.centre[2]) / 100;
  const c = b.coefficients;
  return Math.exp(c[0]! * x + c[1]! * y + c[2]! * z + c[3]! * x * x + c[4]! * y * y + c[5]! * z * z + c[6]! * x * y + c[7]! * x * z + c[8]! * y * z);
}

/** Mean of the voxels brighter than 20 % of the 99th percentile: the "tissue signal" noise is scaled to. */
export function tissueSignal(data: Float32Array): number {
  const step = Math.max(1, Math.floor(data.length / 100000));
  const sample = new Float32Array(Math.ceil(data.length / step));
  for (let i = 0, n = 0; i < data.length; i += step, n++) sample[n] = data[i]!;
  sample.sort();
  const p99 = sample[Math.floor(sample.length * 0.99)] ?? 0;
  let s = 0;
  let n = 0;
  for (const v of sample) {
    if (v > 0.2 * p99) {
      s += v;
      n++;
    }
  }
  return n ? s / n : 1;
}

/**
 * In place: multiplies by the bias field and adds Rician noise (magnitude of signal + complex Gaussian noise) with
 * standard deviation tissueSignal / snr. Returns the noise sigma used.
 */
export function applyBiasAndNoise(data: Float32Array, stack: PlannedStack, bias: BiasField, snr: number, rng: Rng, refSignal?: number): number {
  const a = stack.affine;
  const [ci, cj, ck] = stack.dims;
  const sigma = (refSignal ?? tissueSignal(data)) / snr;
  for (let k = 0; k < ck; k++) {
    for (let j = 0; j < cj; j++) {
      const row = apply(a, [0, j, k]);
      for (let i = 0; i < ci; i++) {
        const o = i + ci * (j + cj * k);
        const p: Vec3 = [row[0] + a[0]! * i, row[1] + a[4]! * i, row[2] + a[8]! * i];
        const s = data[o]! * biasAt(bias, p);
        const re = s + sigma * rng.normal();
        const im = sigma * rng.normal();
        data[o] = Math.sqrt(re * re + im * im);
      }
    }
  }
  return sigma;
}

/** Scales to stored integers (0..maxStored), as a scanner's reconstruction does; returns the Volume and the scale. */
export function quantise(data: Float32Array, stack: PlannedStack, scale: number, maxStored: number, frameOfReferenceUid?: string): Volume<Uint16Array> {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(data[i]! * scale);
    out[i] = v < 0 ? 0 : v > maxStored ? maxStored : v;
  }
  return { dims: [...stack.dims] as Vec3, spacing: [...stack.spacing] as Vec3, affine: new Float64Array(stack.affine), data: out, frameOfReferenceUid };
}

/** Patient-space centre of the head for a pose (the point stacks are centred on). */
export function headCentrePatient(anat: Anatomy, pose: HeadPose): Vec3 {
  return apply(pose.matrix, anat.headCentre);
}
