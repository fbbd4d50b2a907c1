/**
 * Anatomy variation: every case would otherwise be the Colin27 head itself, which makes any evaluation that
 * registers to that same template (brain extraction, template space) optimistic. A case's anatomy is the template
 * warped by a random smooth, invertible deformation and scaled about the head centre (head size), before the tumour
 * is placed, so images, tumour labels and the brain mask stay consistent.
 *
 * Backward warp: the anatomy value at template point p is read at  c + (p - c) / s + u(p),  where c is the head
 * centre, s the head-size factor and u a sum of a few long-wavelength sinusoids (60-110 mm) with peak amplitude
 * `amplitudeMm` per axis. The Jacobian stays positive while 2*pi*amplitude/wavelength < 1 (4 mm at 60 mm: 0.42).
 */
import type { Vec3 } from '../imaging/volume';
import { centroid, TISSUE_MAP_NAMES, type Anatomy, type TissueMaps } from './anatomy';
import { apply, invert } from './geometry';
import type { Rng } from './random';
import { distanceInside, trilinear } from './volume-ops';

export interface AnatomyVariation {
  /** Peak displacement per axis (mm) of the smooth deformation; 0 = none. */
  amplitudeMm: number;
  /** Uniform head-size factor about the head centre (1 = the template's size). */
  headScale: number;
  /** Sinusoid components: per axis, wave vector (cycles/mm), phase, weight. */
  waves: Array<{ axis: 0 | 1 | 2; k: Vec3; phase: number; weight: number }>;
}

const WAVES_PER_AXIS = 3;

/** Draws a variation: amplitude up to `maxAmplitudeMm`, head scale within +/- `maxScaleDelta`. */
export function sampleVariation(rng: Rng, maxAmplitudeMm: number, maxScaleDelta = 0.08): AnatomyVariation {
  const waves: AnatomyVariation['waves'] = [];
  for (const axis of [0, 1, 2] as const) {
    for (let w = 0; w < WAVES_PER_AXIS; w++) {
      const dir = rng.unitVector();
      const wavelength = rng.uniform(60, 110);
      waves.push({ axis, k: dir.map((d) => d / wavelength) as Vec3, phase: rng.uniform(0, 2 * Math.PI), weight: 1 / WAVES_PER_AXIS });
    }
  }
  return { amplitudeMm: maxAmplitudeMm * rng.uniform(0.6, 1), headScale: 1 + rng.uniform(-maxScaleDelta, maxScaleDelta), waves };
}

/** Displacement u(p) (mm) at template point p. */
export function displacement(v: AnatomyVariation, p: Vec3): Vec3 {
  const u: Vec3 = [0, 0, 0];
  for (const w of v.waves) {
    u[w.axis] += v.amplitudeMm * w.weight * Math.sin(2 * Math.PI * (w.k[0] * p[0] + w.k[1] * p[1] + w.k[2] * p[2]) + w.phase);
  }
  return u;
}

/** Template point the warped anatomy reads at p (backward map). */
export function sourcePoint(v: AnatomyVariation, centre: Vec3, p: Vec3): Vec3 {
  const u = displacement(v, p);
  return [0, 1, 2].map((a) => centre[a]! + (p[a]! - centre[a]!) / v.headScale + u[a]!) as Vec3;
}

/** A new Anatomy (the input is shared and never modified): maps trilinear, masks nearest by majority. */
export function varyAnatomy(anat: Anatomy, v: AnatomyVariation): Anatomy {
  const [nx, ny, nz] = anat.dims;
  const n = nx * ny * nz;
  const inv = invert(anat.affine);
  const a = anat.affine;
  const c = anat.headCentre;
  const maps = {} as TissueMaps;
  for (const name of TISSUE_MAP_NAMES) maps[name] = new Float32Array(n);
  const brainF = new Float32Array(n);
  const headF = new Float32Array(n);
  const srcBrain = Float32Array.from(anat.brain);
  const srcHead = Float32Array.from(anat.head);
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, o++) {
        const p: Vec3 = [a[0]! * i + a[1]! * j + a[2]! * k + a[3]!, a[4]! * i + a[5]! * j + a[6]! * k + a[7]!, a[8]! * i + a[9]! * j + a[10]! * k + a[11]!];
        const q = apply(inv, sourcePoint(v, c, p));
        for (const name of TISSUE_MAP_NAMES) maps[name][o] = trilinear(anat.dims, anat.maps[name], q[0], q[1], q[2], 0);
        brainF[o] = trilinear(anat.dims, srcBrain, q[0], q[1], q[2], 0);
        headF[o] = trilinear(anat.dims, srcHead, q[0], q[1], q[2], 0);
      }
    }
  }
  const brain = new Uint8Array(n);
  const head = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    brain[i] = brainF[i]! >= 0.5 ? 1 : 0;
    head[i] = headF[i]! >= 0.5 ? 1 : 0;
  }
  return {
    ...anat,
    maps,
    brain,
    head,
    depth: distanceInside(anat.dims, brain, anat.resolution),
    headCentre: centroid(anat.dims, head, anat.affine),
  };
}
