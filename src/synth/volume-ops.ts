/**
 * Voxel-grid helpers the generator needs on its anatomy grid: flood fill from the border, chamfer distance
 * transform, block downsampling, and trilinear sampling. Pure functions over flat arrays (index = i + nx*(j + ny*k)).
 */
import type { Vec3 } from '../imaging/volume';

/** Marks voxels where `passable` is true and that connect (6-neighbourhood) to the grid border. */
export function floodFromBorder(dims: Vec3, passable: (idx: number) => boolean): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(nx * ny * nz);
  const stack = new Int32Array(nx * ny * nz);
  let top = 0;
  const push = (idx: number): void => {
    if (!out[idx] && passable(idx)) {
      out[idx] = 1;
      stack[top++] = idx;
    }
  };
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        if (i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1) push(i + nx * (j + ny * k));
      }
    }
  }
  const sxy = nx * ny;
  while (top > 0) {
    const idx = stack[--top]!;
    const i = idx % nx;
    const j = Math.floor(idx / nx) % ny;
    const k = Math.floor(idx / sxy);
    if (i > 0) push(idx - 1);
    if (i < nx - 1) push(idx + 1);
    if (j > 0) push(idx - nx);
    if (j < ny - 1) push(idx + nx);
    if (k > 0) push(idx - sxy);
    if (k < nz - 1) push(idx + sxy);
  }
  return out;
}

/**
 * Approximate Euclidean distance (in mm, isotropic `spacing`) from every voxel where mask = 1 to the nearest voxel
 * where mask = 0 (3x3x3 chamfer, weights 1, sqrt 2, sqrt 3; within a few percent of exact). Zero where mask = 0;
 * outside the grid counts as mask = 0. Runs on a copy padded by one background voxel so the inner loop needs no
 * bounds checks.
 */
export function distanceInside(dims: Vec3, mask: Uint8Array, spacing: number): Float32Array {
  const [nx, ny, nz] = dims;
  const px = nx + 2;
  const py = ny + 2;
  const pz = nz + 2;
  const d = new Float32Array(px * py * pz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const src = nx * (j + ny * k);
      const dst = 1 + px * (j + 1 + py * (k + 1));
      for (let i = 0; i < nx; i++) d[dst + i] = mask[src + i] ? 1e9 : 0;
    }
  }
  // Half of the 26 neighbours (those before the voxel in scan order), as index deltas with their weights.
  const deltas: number[] = [];
  const weights: number[] = [];
  for (let dk = -1; dk <= 0; dk++) {
    for (let dj = -1; dj <= 1; dj++) {
      for (let di = -1; di <= 1; di++) {
        if (dk === 0 && (dj > 0 || (dj === 0 && di >= 0))) continue;
        deltas.push(di + px * (dj + py * dk));
        weights.push(Math.sqrt(di * di + dj * dj + dk * dk));
      }
    }
  }
  const nd = deltas.length;
  const first = 1 + px * (1 + py);
  const last = nx + px * (ny + py * nz);
  for (let idx = first; idx <= last; idx++) {
    let best = d[idx]!;
    if (best === 0) continue;
    for (let n = 0; n < nd; n++) {
      const v = d[idx + deltas[n]!]! + weights[n]!;
      if (v < best) best = v;
    }
    d[idx] = best;
  }
  for (let idx = last; idx >= first; idx--) {
    let best = d[idx]!;
    if (best === 0) continue;
    for (let n = 0; n < nd; n++) {
      const v = d[idx - deltas[n]!]! + weights[n]!;
      if (v < best) best = v;
    }
    d[idx] = best;
  }
  const out = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const dst = nx * (j + ny * k);
      const src = 1 + px * (j + 1 + py * (k + 1));
      for (let i = 0; i < nx; i++) out[dst + i] = d[src + i]! * spacing;
    }
  }
  return out;
}

/** Averages f x f x f blocks (edge blocks average what exists). New dims = ceil(dims / f). */
export function downsampleMean(dims: Vec3, src: ArrayLike<number>, f: number): { dims: Vec3; data: Float32Array } {
  const [nx, ny, nz] = dims;
  const od: Vec3 = [Math.ceil(nx / f), Math.ceil(ny / f), Math.ceil(nz / f)];
  const sum = new Float32Array(od[0] * od[1] * od[2]);
  const cnt = new Uint16Array(sum.length);
  const iMap = new Int32Array(nx);
  for (let i = 0; i < nx; i++) iMap[i] = Math.floor(i / f);
  for (let k = 0; k < nz; k++) {
    const K = Math.floor(k / f);
    for (let j = 0; j < ny; j++) {
      const J = Math.floor(j / f);
      const rowSrc = nx * (j + ny * k);
      const rowDst = od[0] * (J + od[1] * K);
      for (let i = 0; i < nx; i++) {
        const o = rowDst + iMap[i]!;
        sum[o] = sum[o]! + src[rowSrc + i]!;
        cnt[o] = cnt[o]! + 1;
      }
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! / cnt[i]!;
  return { dims: od, data: sum };
}

/** Trilinear interpolation at fractional voxel coordinates; `outside` beyond the grid (clamped half a voxel out). */
export function trilinear(dims: Vec3, data: ArrayLike<number>, x: number, y: number, z: number, outside = 0): number {
  const [nx, ny, nz] = dims;
  if (x < -0.5 || y < -0.5 || z < -0.5 || x > nx - 0.5 || y > ny - 0.5 || z > nz - 0.5) return outside;
  const xc = Math.min(Math.max(x, 0), nx - 1);
  const yc = Math.min(Math.max(y, 0), ny - 1);
  const zc = Math.min(Math.max(z, 0), nz - 1);
  const x0 = Math.min(Math.floor(xc), nx - 2 < 0 ? 0 : nx - 2);
  const y0 = Math.min(Math.floor(yc), ny - 2 < 0 ? 0 : ny - 2);
  const z0 = Math.min(Math.floor(zc), nz - 2 < 0 ? 0 : nz - 2);
  const fx = xc - x0;
  const fy = yc - y0;
  const fz = zc - z0;
  const sxy = nx * ny;
  const i000 = x0 + nx * y0 + sxy * z0;
  const c000 = data[i000]!;
  const c100 = data[i000 + 1]!;
  const c010 = data[i000 + nx]!;
  const c110 = data[i000 + nx + 1]!;
  const c001 = data[i000 + sxy]!;
  const c101 = data[i000 + sxy + 1]!;
  const c011 = data[i000 + sxy + nx]!;
  const c111 = data[i000 + sxy + nx + 1]!;
  const a = c000 + (c100 - c000) * fx;
  const b = c010 + (c110 - c010) * fx;
  const c = c001 + (c101 - c001) * fx;
  const d = c011 + (c111 - c011) * fx;
  const e = a + (b - a) * fy;
  const g = c + (d - c) * fy;
  return e + (g - e) * fz;
}
