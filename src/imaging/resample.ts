/**
 * World-space resampling between voxel grids using their affines (no registration: both grids are placed by DICOM
 * patient coordinates). For each target voxel t the source position is s = inv(A_src) * A_tgt * t; it is computed
 * incrementally along each row (one add per axis per voxel) and sampled trilinearly or by nearest neighbour.
 *
 * Edges: a sample inside the source's voxel extent ([-0.5, n - 0.5] along each axis) takes the clamped value (the
 * source is treated as constant within its outermost half voxel); beyond it the target gets `fill`.
 * No per-voxel allocation; the inner loops only touch typed arrays.
 */
import { invertAffine, multiply4 } from './affine';
import type { Vec3, Volume, VoxelArray } from './volume';

/** A target grid: dims and voxel -> LPS affine; optional per-slice origins for stacks with irregular slice positions. */
export interface TargetGrid {
  dims: Vec3;
  affine: Float64Array;
  /** When given, slice k's voxel (0,0) is at sliceOrigins[k] instead of affine * (0,0,k) (non-uniform source stacks). */
  sliceOrigins?: Vec3[];
}

export interface ResampleOptions {
  /** Value outside the source extent (default 0). NaN marks "not covered" for callers that need coverage. */
  fill?: number;
}

/** Source-voxel coordinates of target voxel (0, 0, k): the start of slice k's walk. */
function sliceBase(inv: Float64Array, m: Float64Array, target: TargetGrid, k: number): Vec3 {
  const so = target.sliceOrigins?.[k];
  if (so) {
    return [
      inv[0]! * so[0] + inv[1]! * so[1] + inv[2]! * so[2] + inv[3]!,
      inv[4]! * so[0] + inv[5]! * so[1] + inv[6]! * so[2] + inv[7]!,
      inv[8]! * so[0] + inv[9]! * so[1] + inv[10]! * so[2] + inv[11]!,
    ];
  }
  return [m[2]! * k + m[3]!, m[6]! * k + m[7]!, m[10]! * k + m[11]!];
}

/**
 * The range [lo, hi) of i for which start + i * step stays within [min, max]; intersected over the three axes it
 * gives the span of a target row that falls inside the source, so the inner loop needs no bounds checks.
 */
function span(start: number, step: number, min: number, max: number, n: number, lo: number, hi: number): [number, number] {
  if (Math.abs(step) < 1e-12) return start >= min && start <= max ? [lo, hi] : [0, 0];
  let a = (min - start) / step;
  let b = (max - start) / step;
  if (a > b) [a, b] = [b, a];
  return [Math.max(lo, Math.ceil(a - 1e-9)), Math.min(hi, Math.floor(b + 1e-9) + 1, n)];
}

/** Trilinear resampling of any voxel type into float32. */
export function resampleLinear(src: Volume, target: TargetGrid, opts: ResampleOptions = {}): Float32Array {
  const out = new Float32Array(target.dims[0] * target.dims[1] * target.dims[2]);
  resampleLinearInto(src, target, out, opts);
  return out;
}

/** Trilinear resampling into a caller-provided buffer (reuse across channels). */
export function resampleLinearInto(src: Volume, target: TargetGrid, out: Float32Array, opts: ResampleOptions = {}): void {
  const fill = opts.fill ?? 0;
  const [nx, ny, nz] = src.dims;
  const [tx, ty, tz] = target.dims;
  const d: VoxelArray = src.data;
  const nx1 = nx - 1, ny1 = ny - 1, nz1 = nz - 1;
  const sxy = nx * ny;
  // Neighbour offsets; zero along a singleton axis.
  const ox = nx > 1 ? 1 : 0, oy = ny > 1 ? nx : 0, oz = nz > 1 ? sxy : 0;
  const inv = invertAffine(src.affine);
  const m = multiply4(inv, target.affine);
  const dxi = m[0]!, dyi = m[4]!, dzi = m[8]!;
  const dxj = m[1]!, dyj = m[5]!, dzj = m[9]!;
  let o = 0;
  for (let k = 0; k < tz; k++) {
    const [bx, by, bz] = sliceBase(inv, m, target, k);
    for (let j = 0; j < ty; j++, o += tx) {
      const x0r = bx + dxj * j, y0r = by + dyj * j, z0r = bz + dzj * j;
      let [lo, hi] = span(x0r, dxi, -0.5, nx - 0.5, tx, 0, tx);
      [lo, hi] = span(y0r, dyi, -0.5, ny - 0.5, tx, lo, hi);
      [lo, hi] = span(z0r, dzi, -0.5, nz - 0.5, tx, lo, hi);
      if (hi <= lo) {
        out.fill(fill, o, o + tx);
        continue;
      }
      if (lo > 0) out.fill(fill, o, o + lo);
      if (hi < tx) out.fill(fill, o + hi, o + tx);
      // Interior span: all 8 neighbours exist without clamping (the fast path). The 1e-3 voxel margin absorbs
      // the rounding drift of the incremental coordinates.
      let ilo = lo, ihi = lo;
      if (ox && oy && oz) {
        [ilo, ihi] = span(x0r, dxi, 0, nx1 - 1e-3, tx, lo, hi);
        [ilo, ihi] = span(y0r, dyi, 0, ny1 - 1e-3, tx, ilo, ihi);
        [ilo, ihi] = span(z0r, dzi, 0, nz1 - 1e-3, tx, ilo, ihi);
        if (ihi <= ilo) ilo = ihi = lo;
      }
      clampedRow(o, lo, ilo, x0r, y0r, z0r);
      let x = x0r + dxi * ilo, y = y0r + dyi * ilo, z = z0r + dzi * ilo;
      for (let i = ilo; i < ihi; i++, x += dxi, y += dyi, z += dzi) {
        const xi = x | 0, yi = y | 0, zi = z | 0;
        const fx = x - xi, fy = y - yi, fz = z - zi;
        const b = xi + nx * yi + sxy * zi;
        const c000 = d[b]!, c100 = d[b + 1]!, c010 = d[b + nx]!, c110 = d[b + 1 + nx]!;
        const c001 = d[b + sxy]!, c101 = d[b + 1 + sxy]!, c011 = d[b + nx + sxy]!, c111 = d[b + 1 + nx + sxy]!;
        const c00 = c000 + (c100 - c000) * fx;
        const c10 = c010 + (c110 - c010) * fx;
        const c01 = c001 + (c101 - c001) * fx;
        const c11 = c011 + (c111 - c011) * fx;
        const c0 = c00 + (c10 - c00) * fy;
        const c1 = c01 + (c11 - c01) * fy;
        out[o + i] = c0 + (c1 - c0) * fz;
      }
      clampedRow(o, ihi, hi, x0r, y0r, z0r);
    }
  }

  /** Samples i in [i0, i1) of the row at `o` with edge clamping (the outer half-voxel band and singleton axes). */
  function clampedRow(o: number, i0: number, i1: number, x0r: number, y0r: number, z0r: number): void {
    let x = x0r + dxi * i0, y = y0r + dyi * i0, z = z0r + dzi * i0;
    for (let i = i0; i < i1; i++, x += dxi, y += dyi, z += dzi) {
      const xc = x < 0 ? 0 : x > nx1 ? nx1 : x;
      const yc = y < 0 ? 0 : y > ny1 ? ny1 : y;
      const zc = z < 0 ? 0 : z > nz1 ? nz1 : z;
      let xi = xc | 0, yi = yc | 0, zi = zc | 0;
      if (xi === nx1 && nx1 > 0) xi--;
      if (yi === ny1 && ny1 > 0) yi--;
      if (zi === nz1 && nz1 > 0) zi--;
      const fx = xc - xi, fy = yc - yi, fz = zc - zi;
      const b = xi + nx * yi + sxy * zi;
      const c000 = d[b]!, c100 = d[b + ox]!, c010 = d[b + oy]!, c110 = d[b + ox + oy]!;
      const c001 = d[b + oz]!, c101 = d[b + ox + oz]!, c011 = d[b + oy + oz]!, c111 = d[b + ox + oy + oz]!;
      const c00 = c000 + (c100 - c000) * fx;
      const c10 = c010 + (c110 - c010) * fx;
      const c01 = c001 + (c101 - c001) * fx;
      const c11 = c011 + (c111 - c011) * fx;
      const c0 = c00 + (c10 - c00) * fy;
      const c1 = c01 + (c11 - c01) * fy;
      out[o + i] = c0 + (c1 - c0) * fz;
    }
  }
}

/** Nearest-neighbour resampling (labels, masks): output has the source's integer type family (Uint8Array or Int16Array). */
export function resampleNearest(src: Volume<Uint8Array | Int16Array>, target: TargetGrid, opts: ResampleOptions = {}): Uint8Array | Int16Array {
  const fill = opts.fill ?? 0;
  const [tx, ty, tz] = target.dims;
  const out = src.data instanceof Uint8Array ? new Uint8Array(tx * ty * tz) : new Int16Array(tx * ty * tz);
  const [nx, ny, nz] = src.dims;
  const d = src.data;
  const sxy = nx * ny;
  const inv = invertAffine(src.affine);
  const m = multiply4(inv, target.affine);
  const dxi = m[0]!, dyi = m[4]!, dzi = m[8]!;
  const dxj = m[1]!, dyj = m[5]!, dzj = m[9]!;
  // Sample positions within [-0.5, n - 0.5) round to a valid index.
  const ex = nx - 0.5 - 1e-7, ey = ny - 0.5 - 1e-7, ez = nz - 0.5 - 1e-7;
  let o = 0;
  for (let k = 0; k < tz; k++) {
    const [bx, by, bz] = sliceBase(inv, m, target, k);
    for (let j = 0; j < ty; j++, o += tx) {
      const x0r = bx + dxj * j, y0r = by + dyj * j, z0r = bz + dzj * j;
      let [lo, hi] = span(x0r, dxi, -0.5, ex, tx, 0, tx);
      [lo, hi] = span(y0r, dyi, -0.5, ey, tx, lo, hi);
      [lo, hi] = span(z0r, dzi, -0.5, ez, tx, lo, hi);
      if (hi <= lo) {
        out.fill(fill, o, o + tx);
        continue;
      }
      if (lo > 0) out.fill(fill, o, o + lo);
      if (hi < tx) out.fill(fill, o + hi, o + tx);
      let x = x0r + dxi * lo + 0.5, y = y0r + dyi * lo + 0.5, z = z0r + dzi * lo + 0.5;
      for (let i = lo; i < hi; i++, x += dxi, y += dyi, z += dzi) {
        const xi = x < 0 ? 0 : Math.min(nx - 1, x | 0);
        const yi = y < 0 ? 0 : Math.min(ny - 1, y | 0);
        const zi = z < 0 ? 0 : Math.min(nz - 1, z | 0);
        out[o + i] = d[xi + nx * yi + sxy * zi]!;
      }
    }
  }
  return out;
}
