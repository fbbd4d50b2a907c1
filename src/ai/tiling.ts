/**
 * Where the model's windows go on the grid and how overlapping windows are blended. Pure functions.
 * All coordinates are grid (i, j, k) voxels.
 */
import type { Vec3 } from '../imaging/volume';
import type { TilingSpec } from './manifest';

export interface Tile {
  /** Grid voxel of the window's first corner (may be 0 with a window larger than the grid: padding). */
  origin: Vec3;
}

export interface TilePlan {
  patch: Vec3;
  tiles: Tile[];
  blending: 'gaussian' | 'constant';
  gaussianSigmaScale: number;
}

/**
 * Window starts along one axis, nnU-Net style: n = ceil((size - patch) / (patch * (1 - overlap))) + 1 windows,
 * evenly spaced from 0 to size - patch (rounded). A grid not larger than the patch gets one window at 0.
 */
export function windowStarts(size: number, patch: number, overlap: number): number[] {
  if (size <= patch) return [0];
  const target = patch * (1 - overlap);
  const n = Math.ceil((size - patch) / target) + 1;
  const step = (size - patch) / (n - 1);
  return Array.from({ length: n }, (_, i) => Math.round(step * i));
}

/** The windows for a grid of `dims` under the manifest's tiling. */
export function planTiles(dims: Vec3, tiling: TilingSpec): TilePlan {
  if (tiling.mode === 'whole') {
    return { patch: [...dims] as Vec3, tiles: [{ origin: [0, 0, 0] }], blending: 'constant', gaussianSigmaScale: 0.125 };
  }
  if (tiling.mode === 'fixed-crops') {
    return {
      patch: [...tiling.patchSize] as Vec3,
      tiles: tiling.origins.map((o) => ({ origin: [...o] as Vec3 })),
      blending: tiling.blending,
      gaussianSigmaScale: tiling.gaussianSigmaScale,
    };
  }
  const p = tiling.patchSize;
  const si = windowStarts(dims[0], p[0], tiling.overlap);
  const sj = windowStarts(dims[1], p[1], tiling.overlap);
  const sk = windowStarts(dims[2], p[2], tiling.overlap);
  const tiles: Tile[] = [];
  for (const k of sk) for (const j of sj) for (const i of si) tiles.push({ origin: [i, j, k] });
  return { patch: [...p] as Vec3, tiles, blending: tiling.blending, gaussianSigmaScale: tiling.gaussianSigmaScale };
}

/**
 * Importance weights over a patch (i fastest): a separable Gaussian centred on the patch centre ((P-1)/2, so the
 * map is mirror-symmetric and flips need no special care), sigma = scale * P per axis, scaled to max 1, with a
 * floor so that border voxels covered by a single window still get a defined value. 'constant' = all ones.
 */
export function importanceMap(patch: Vec3, blending: 'gaussian' | 'constant', sigmaScale = 0.125): Float32Array {
  const [pi, pj, pk] = patch;
  const w = new Float32Array(pi * pj * pk);
  if (blending === 'constant') return w.fill(1);
  const axis = (n: number): Float64Array => {
    const c = (n - 1) / 2;
    const s = Math.max(sigmaScale * n, 1e-6);
    return Float64Array.from({ length: n }, (_, x) => Math.exp(-((x - c) ** 2) / (2 * s * s)));
  };
  const ai = axis(pi);
  const aj = axis(pj);
  const ak = axis(pk);
  let max = 0;
  for (let k = 0, n = 0; k < pk; k++) {
    for (let j = 0; j < pj; j++) {
      const jk = aj[j]! * ak[k]!;
      for (let i = 0; i < pi; i++, n++) {
        const v = ai[i]! * jk;
        w[n] = v;
        if (v > max) max = v;
      }
    }
  }
  const floor = 1e-3;
  for (let n = 0; n < w.length; n++) w[n] = Math.max(w[n]! / max, floor);
  return w;
}

/** The tile whose centre is nearest the grid centre ('centre-crop' head aggregation). */
export function centreTileIndex(dims: Vec3, plan: TilePlan): number {
  let best = 0;
  let bestD = Infinity;
  plan.tiles.forEach((t, n) => {
    let d = 0;
    for (let a = 0; a < 3; a++) d += (t.origin[a]! + plan.patch[a]! / 2 - dims[a]! / 2) ** 2;
    if (d < bestD - 1e-9) {
      bestD = d;
      best = n;
    }
  });
  return best;
}
