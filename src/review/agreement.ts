/**
 * Agreement between the AI's segmentation and a reviewer's corrected one, both label maps on the display series'
 * grid: per region Dice, the volume difference (corrected minus AI, mL) and the 95th-percentile Hausdorff distance
 * (mm, symmetric: the 95th percentile of both directed surface-distance sets together). Pure.
 */
import type { RegionKey } from '../ai/findings';
import { dice, measureRegions } from '../ai/postprocess';
import type { Vec3 } from '../imaging/volume';

export interface RegionAgreement {
  key: RegionKey;
  dice: number;
  aiVolumeMl: number;
  correctedVolumeMl: number;
  /** corrected - AI, mL. */
  volumeDifferenceMl: number;
  /** mm; null when either segmentation of the region is empty (no surface to measure). */
  hausdorff95Mm: number | null;
}

export interface Grid {
  dims: Vec3;
  affine: Float64Array;
}

/** Voxels of the selection that touch a voxel outside it (6-neighbourhood; the grid edge counts as outside). */
export function surfaceVoxels(labels: Uint8Array, values: readonly number[], dims: Vec3): number[] {
  const [nx, ny, nz] = dims;
  const want = new Uint8Array(256);
  for (const v of values) want[v] = 1;
  const sx = 1, sy = nx, sz = nx * ny;
  const out: number[] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0, v = sz * k + sy * j; i < nx; i++, v++) {
        if (!want[labels[v]!]) continue;
        const edge = i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1;
        if (edge || !want[labels[v - sx]!] || !want[labels[v + sx]!] || !want[labels[v - sy]!] || !want[labels[v + sy]!] || !want[labels[v - sz]!] || !want[labels[v + sz]!]) {
          out.push(i, j, k);
        }
      }
  return out;
}

/** Patient coordinates (mm) of voxel triples, sorted by x (for the nearest-point search). */
function toMm(voxels: number[], affine: Float64Array): Float64Array {
  const a = affine;
  const pts: Array<[number, number, number]> = [];
  for (let p = 0; p < voxels.length; p += 3) {
    const i = voxels[p]!, j = voxels[p + 1]!, k = voxels[p + 2]!;
    pts.push([a[0]! * i + a[1]! * j + a[2]! * k + a[3]!, a[4]! * i + a[5]! * j + a[6]! * k + a[7]!, a[8]! * i + a[9]! * j + a[10]! * k + a[11]!]);
  }
  pts.sort((p, q) => p[0] - q[0]);
  return Float64Array.from(pts.flat());
}

/**
 * Distance from each point of `from` to the nearest point of `to` (both sorted by x): from the insertion position
 * the search walks outwards in x and stops on each side once the x gap alone exceeds the best distance, so only a
 * slab around each point is examined.
 */
function directed(from: Float64Array, to: Float64Array): number[] {
  const n = to.length / 3;
  const out: number[] = [];
  let start = 0;
  for (let p = 0; p < from.length; p += 3) {
    const x = from[p]!, y = from[p + 1]!, z = from[p + 2]!;
    while (start < n - 1 && to[start * 3]! < x) start++;
    let best = Infinity;
    for (let q = start; q < n; q++) {
      const dx = to[q * 3]! - x;
      if (dx * dx >= best) break;
      const dy = to[q * 3 + 1]! - y, dz = to[q * 3 + 2]! - z;
      const d = dx * dx + dy * dy + dz * dz;
      if (d < best) best = d;
    }
    for (let q = start - 1; q >= 0; q--) {
      const dx = x - to[q * 3]!;
      if (dx * dx >= best) break;
      const dy = to[q * 3 + 1]! - y, dz = to[q * 3 + 2]! - z;
      const d = dx * dx + dy * dy + dz * dz;
      if (d < best) best = d;
    }
    out.push(Math.sqrt(best));
  }
  return out;
}

/** Linear-interpolated percentile (0..100) of unsorted values. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Symmetric 95 % Hausdorff distance in mm between two selections; null when either is empty. */
export function hausdorff95(a: Uint8Array, aValues: readonly number[], b: Uint8Array, bValues: readonly number[], grid: Grid): number | null {
  const sa = surfaceVoxels(a, aValues, grid.dims);
  const sb = surfaceVoxels(b, bValues, grid.dims);
  if (!sa.length || !sb.length) return null;
  const pa = toMm(sa, grid.affine);
  const pb = toMm(sb, grid.affine);
  return percentile([...directed(pa, pb), ...directed(pb, pa)], 95);
}

/**
 * Both label maps cut to the box holding every labelled voxel of either, with the affine moved to the box's
 * corner: a tumour fills a small part of the grid, so every later pass over voxels gets many times shorter.
 */
export function cropToLabels(a: Uint8Array, b: Uint8Array, grid: Grid): { a: Uint8Array; b: Uint8Array; grid: Grid } {
  const [nx, ny, nz] = grid.dims;
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  for (let k = 0, v = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++) {
        if (!a[v] && !b[v]) continue;
        if (i < lo[0]!) lo[0] = i;
        if (i > hi[0]!) hi[0] = i;
        if (j < lo[1]!) lo[1] = j;
        if (j > hi[1]!) hi[1] = j;
        if (k < lo[2]!) lo[2] = k;
        if (k > hi[2]!) hi[2] = k;
      }
  if (hi[0]! < 0) return { a: new Uint8Array(1), b: new Uint8Array(1), grid: { dims: [1, 1, 1], affine: grid.affine } };
  const dims: Vec3 = [hi[0]! - lo[0]! + 1, hi[1]! - lo[1]! + 1, hi[2]! - lo[2]! + 1];
  const ca = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const cb = new Uint8Array(ca.length);
  for (let k = 0, w = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++) {
      const from = lo[0]! + nx * (lo[1]! + j + ny * (lo[2]! + k));
      ca.set(a.subarray(from, from + dims[0]), w);
      cb.set(b.subarray(from, from + dims[0]), w);
      w += dims[0];
    }
  const m = grid.affine;
  const affine = Float64Array.from(m);
  for (let r = 0; r < 3; r++) affine[r * 4 + 3] = m[r * 4]! * lo[0]! + m[r * 4 + 1]! * lo[1]! + m[r * 4 + 2]! * lo[2]! + m[r * 4 + 3]!;
  return { a: ca, b: cb, grid: { dims, affine } };
}

/** Agreement per region (the AI's regions, with their label values, apply to both maps). */
export function segmentationAgreement(aiFull: Uint8Array, correctedFull: Uint8Array, fullGrid: Grid, regions: ReadonlyArray<{ key: RegionKey; labelValues: number[] }>): RegionAgreement[] {
  if (aiFull.length !== correctedFull.length) throw new Error(`label maps differ in size: ${aiFull.length} and ${correctedFull.length} voxels`);
  const { a: ai, b: corrected, grid } = cropToLabels(aiFull, correctedFull, fullGrid);
  const regs = regions.map((r) => ({ key: r.key, labelValues: r.labelValues }));
  const va = measureRegions(ai, grid.affine, regs);
  const vb = measureRegions(corrected, grid.affine, regs);
  return regs.map((r, i) => {
    const aiMl = va[i]!.volumeMl;
    const cMl = vb[i]!.volumeMl;
    return {
      key: r.key,
      dice: dice(ai, r.labelValues, corrected, r.labelValues),
      aiVolumeMl: aiMl,
      correctedVolumeMl: cMl,
      volumeDifferenceMl: cMl - aiMl,
      hausdorff95Mm: hausdorff95(ai, r.labelValues, corrected, r.labelValues, grid),
    };
  });
}
