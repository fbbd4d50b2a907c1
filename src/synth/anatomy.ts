/**
 * Real head anatomy for the synthetic studies: the Colin27 T1 template (ch2.nii.gz) and its brain-extracted copy
 * (ch2bet.nii.gz) from Debian's mricron-data, turned into per-voxel tissue fractions that every contrast is then
 * synthesised from.
 *
 * Tissue classes (docs/synthetic-data.md, "Anatomy"):
 *  - inside the brain mask (ch2bet > 0): a 3-class Gaussian mixture on the T1 histogram gives the CSF, grey- and
 *    white-matter intensity centres; each voxel's intensity is then read as a linear partial-volume mix of the two
 *    neighbouring centres (CSF-GM below the GM centre, GM-WM above), so fractions sum to 1 and boundaries stay soft;
 *  - outside the brain but inside the head (not connected to the background through dark voxels): dark voxels within
 *    3 mm of the brain are subarachnoid CSF that brain extraction cut off, darker voxels further out are bone/air,
 *    the rest is scalp/fat/muscle whose T1 brightness is kept (`softT1`);
 *  - dura (a 2.5 mm shell outside the brain), the superior sagittal sinus (midline part of that shell) and the
 *    choroid plexus (patchy, in the atria of the lateral ventricles) exist only to enhance mildly on T1ce.
 */
import type { Vec3 } from '../imaging/volume';
import { distanceInside, downsampleMean, floodFromBorder } from './volume-ops';
import { fractalNoise } from './noise';
import { MRICRON_TEMPLATES, readTemplate } from './template-reader';

export interface TissueMaps {
  csf: Float32Array;
  gm: Float32Array;
  wm: Float32Array;
  /** Extra-cranial soft tissue (scalp, fat, muscle) fraction. */
  soft: Float32Array;
  /** T1 brightness of that soft tissue relative to white matter (fat > 1, muscle ~ 0.6). */
  softT1: Float32Array;
  /** Bone / air fraction (no signal on any sequence). */
  bone: Float32Array;
  dura: Float32Array;
  sinus: Float32Array;
  choroid: Float32Array;
}

export const TISSUE_MAP_NAMES: ReadonlyArray<keyof TissueMaps> = [
  'csf', 'gm', 'wm', 'soft', 'softT1', 'bone', 'dura', 'sinus', 'choroid',
];

export interface Anatomy {
  dims: Vec3;
  /** Isotropic voxel size (mm). */
  resolution: number;
  /** Voxel -> template LPS mm (template space is MNI-like: origin near the anterior commissure). */
  affine: Float64Array;
  maps: TissueMaps;
  /** Brain mask (from ch2bet). */
  brain: Uint8Array;
  /** Head mask (everything not connected to the background). */
  head: Uint8Array;
  /** Distance (mm) from the brain surface for brain voxels, 0 elsewhere. */
  depth: Float32Array;
  /** Intensity centres of the mixture fitted to the template's brain voxels (0..255 template units). */
  centres: { csf: number; gm: number; wm: number };
  /** Head-mask centroid in template LPS mm. */
  headCentre: Vec3;
}

/** Fits a 1-D Gaussian mixture (EM on a histogram) and returns the component means, ascending. */
export function fitMixture(hist: ArrayLike<number>, k: number, iterations = 60): { means: number[]; sds: number[]; weights: number[] } {
  const total = Array.from(hist).reduce((a, b) => a + b, 0);
  if (total === 0) throw new Error('fitMixture: empty histogram');
  // Initialise at histogram quantiles spread over the range.
  const means: number[] = [];
  for (let c = 0; c < k; c++) {
    const q = (c + 0.5) / k;
    let acc = 0;
    let v = 0;
    for (; v < hist.length; v++) {
      acc += hist[v]!;
      if (acc >= q * total) break;
    }
    means.push(v);
  }
  const sds = means.map(() => hist.length / (4 * k));
  const weights = means.map(() => 1 / k);
  const resp = new Float64Array(k);
  for (let it = 0; it < iterations; it++) {
    const sw = new Float64Array(k);
    const sx = new Float64Array(k);
    const sxx = new Float64Array(k);
    for (let v = 0; v < hist.length; v++) {
      const h = hist[v]!;
      if (!h) continue;
      let norm = 0;
      for (let c = 0; c < k; c++) {
        const z = (v - means[c]!) / sds[c]!;
        resp[c] = (weights[c]! / sds[c]!) * Math.exp(-0.5 * z * z);
        norm += resp[c]!;
      }
      if (norm === 0) continue;
      for (let c = 0; c < k; c++) {
        const r = (h * resp[c]!) / norm;
        sw[c] = sw[c]! + r;
        sx[c] = sx[c]! + r * v;
        sxx[c] = sxx[c]! + r * v * v;
      }
    }
    for (let c = 0; c < k; c++) {
      if (sw[c]! < 1e-9) continue;
      means[c] = sx[c]! / sw[c]!;
      sds[c] = Math.max(1, Math.sqrt(Math.max(0, sxx[c]! / sw[c]! - means[c]! ** 2)));
      weights[c] = sw[c]! / total;
    }
  }
  const order = means.map((m, i) => [m, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  return { means: order.map((i) => means[i]!), sds: order.map((i) => sds[i]!), weights: order.map((i) => weights[i]!) };
}

/** Linear partial-volume fractions [csf, gm, wm] for a brain-voxel intensity, given the three class centres. */
export function partialVolume(v: number, c: { csf: number; gm: number; wm: number }): [number, number, number] {
  if (v <= c.csf) return [1, 0, 0];
  if (v < c.gm) {
    const g = (v - c.csf) / (c.gm - c.csf);
    return [1 - g, g, 0];
  }
  if (v < c.wm) {
    const w = (v - c.gm) / (c.wm - c.gm);
    return [0, 1 - w, w];
  }
  return [0, 0, 1];
}

/** Template LPS mm -> MNI RAS mm (the literature's coordinates for lobes and regions). */
export function lpsToMni(p: Vec3): Vec3 {
  return [-p[0], -p[1], p[2]];
}

function buildFullResolution(ch2Path: string, betPath: string): Anatomy {
  const t1v = readTemplate(ch2Path);
  const betv = readTemplate(betPath);
  const dims = t1v.dims;
  if (dims.join() !== betv.dims.join()) throw new Error(`${ch2Path} and ${betPath} differ in size`);
  const n = dims[0] * dims[1] * dims[2];
  const t1 = t1v.data;
  const resolution = t1v.spacing[0];

  // Brain mask with internal holes filled (anything not reachable from outside through non-brain is brain).
  const outsideBrain = floodFromBorder(dims, (i) => betv.data[i]! <= 0);
  const brain = new Uint8Array(n);
  for (let i = 0; i < n; i++) brain[i] = outsideBrain[i] ? 0 : 1;

  const hist = new Float64Array(256);
  for (let i = 0; i < n; i++) if (brain[i]) hist[Math.min(255, Math.max(0, Math.round(t1[i]!)))]! += 1;
  const mix = fitMixture(hist, 3);
  const centres = { csf: mix.means[0]!, gm: mix.means[1]!, wm: mix.means[2]! };

  // Head: not connected to the volume border through dark voxels.
  const bgThreshold = 0.12 * centres.wm;
  const background = floodFromBorder(dims, (i) => !brain[i] && t1[i]! <= bgThreshold);
  const head = new Uint8Array(n);
  for (let i = 0; i < n; i++) head[i] = background[i] ? 0 : 1;

  const depth = distanceInside(dims, brain, resolution);
  const notBrain = new Uint8Array(n);
  for (let i = 0; i < n; i++) notBrain[i] = brain[i] ? 0 : 1;
  const outsideDistance = distanceInside(dims, notBrain, resolution);

  const maps = emptyMaps(n);
  const choroidNoise = fractalNoise(0x5eed, 4, 2);
  const [nx, ny] = dims;
  const a = t1v.affine;
  for (let k = 0, idx = 0; k < dims[2]; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, idx++) {
        const v = t1[idx]!;
        if (brain[idx]) {
          const [c, g, w] = partialVolume(v, centres);
          maps.csf[idx] = c;
          maps.gm[idx] = g;
          maps.wm[idx] = w;
          if (c > 0.6 && depth[idx]! > 12) {
            // Choroid plexus: patchy, in the atria/trigones of the lateral ventricles (MNI y -50..-15, |x| 15..38).
            const mx = -(a[0]! * i + a[3]!);
            const my = -(a[5]! * j + a[7]!);
            const mz = a[10]! * k + a[11]!;
            if (my > -50 && my < -15 && Math.abs(mx) > 15 && Math.abs(mx) < 38 && mz > -5 && mz < 30) {
              maps.choroid[idx] = Math.max(0, Math.min(1, 0.5 + 1.5 * choroidNoise.at(mx, my, mz)));
            }
          }
          continue;
        }
        if (!head[idx]) continue;
        const f = v / centres.wm;
        const dOut = outsideDistance[idx]!;
        if (f < 0.45) {
          if (dOut <= 3) maps.csf[idx] = 1;
          else maps.bone[idx] = 1;
        } else {
          maps.soft[idx] = 1;
          maps.softT1[idx] = f;
        }
        if (dOut <= 2.5) {
          maps.dura[idx] = 1;
          const mx = -(a[0]! * i + a[3]!);
          const mz = a[10]! * k + a[11]!;
          if (Math.abs(mx) < 4 && mz > 0) maps.sinus[idx] = 1;
        }
      }
    }
  }
  return { dims, resolution, affine: t1v.affine, maps, brain, head, depth, centres, headCentre: centroid(dims, head, t1v.affine) };
}

function emptyMaps(n: number): TissueMaps {
  const m = {} as TissueMaps;
  for (const name of TISSUE_MAP_NAMES) m[name] = new Float32Array(n);
  return m;
}

/** World centroid (template LPS mm) of a mask on the anatomy grid. */
export function centroid(dims: Vec3, mask: Uint8Array, affine: Float64Array): Vec3 {
  let si = 0;
  let sj = 0;
  let sk = 0;
  let cnt = 0;
  for (let k = 0, idx = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, idx++) {
        if (!mask[idx]) continue;
        si += i;
        sj += j;
        sk += k;
        cnt++;
      }
    }
  }
  const [i, j, k] = [si / cnt, sj / cnt, sk / cnt];
  const a = affine;
  return [a[0]! * i + a[1]! * j + a[2]! * k + a[3]!, a[4]! * i + a[5]! * j + a[6]! * k + a[7]!, a[8]! * i + a[9]! * j + a[10]! * k + a[11]!];
}

/** Block-averages the 1 mm anatomy by an integer factor (2 -> 2 mm): fractions average, masks take the majority. */
function downsample(full: Anatomy, f: number): Anatomy {
  const n0 = full.dims;
  const maps = {} as TissueMaps;
  let dims: Vec3 = n0;
  for (const name of TISSUE_MAP_NAMES) {
    if (name === 'softT1') continue;
    const r = downsampleMean(n0, full.maps[name], f);
    maps[name] = r.data;
    dims = r.dims;
  }
  // softT1 is an intensity of the soft fraction: average it weighted by that fraction.
  const weighted = new Float32Array(full.maps.soft.length);
  for (let i = 0; i < weighted.length; i++) weighted[i] = full.maps.soft[i]! * full.maps.softT1[i]!;
  const ws = downsampleMean(n0, weighted, f).data;
  maps.softT1 = new Float32Array(ws.length);
  for (let i = 0; i < ws.length; i++) maps.softT1[i] = maps.soft[i]! > 0 ? ws[i]! / maps.soft[i]! : 0;
  const brainF = downsampleMean(n0, full.brain, f).data;
  const headF = downsampleMean(n0, full.head, f).data;
  const brain = new Uint8Array(brainF.length);
  const head = new Uint8Array(headF.length);
  for (let i = 0; i < brain.length; i++) {
    brain[i] = brainF[i]! >= 0.5 ? 1 : 0;
    head[i] = headF[i]! >= 0.5 ? 1 : 0;
  }
  const resolution = full.resolution * f;
  // New voxel centre I sits at old voxel f*I + (f-1)/2.
  const a = full.affine;
  const off = (f - 1) / 2;
  const affine = new Float64Array(a);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) affine[r * 4 + c] = a[r * 4 + c]! * f;
    affine[r * 4 + 3] = a[r * 4 + 3]! + off * (a[r * 4]! + a[r * 4 + 1]! + a[r * 4 + 2]!);
  }
  const depth = distanceInside(dims, brain, resolution);
  return { dims, resolution, affine, maps, brain, head, depth, centres: full.centres, headCentre: full.headCentre };
}

const cache = new Map<string, Anatomy>();

export interface AnatomyOptions {
  /** Isotropic voxel size of the working grid: 1 (template resolution) or 2 (fast; tests and training sets). */
  resolution?: 1 | 2;
  templatesDir?: string;
}

/**
 * Loads (once per process; the result is shared and must not be mutated) the anatomy at the given resolution.
 * Throws a TemplateError naming the file when mricron-data is missing.
 */
export function loadAnatomy(opts: AnatomyOptions = {}): Anatomy {
  const res = opts.resolution ?? 1;
  const dir = opts.templatesDir ?? MRICRON_TEMPLATES;
  const key = `${dir}|${res}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const fullKey = `${dir}|1`;
  let full = cache.get(fullKey);
  if (!full) {
    full = buildFullResolution(`${dir}/ch2.nii.gz`, `${dir}/ch2bet.nii.gz`);
    cache.set(fullKey, full);
  }
  if (res === 1) return full;
  const small = downsample(full, res);
  cache.set(key, small);
  return small;
}
