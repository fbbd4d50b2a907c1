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
  const inside = (i: number, j: number, k: number): boolean =>
    i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && values.includes(labels[i + nx * (j + ny * k)]!);
  const out: number[] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        if (!inside(i, j, k)) continue;
        if (!inside(i - 1, j, k) || !inside(i + 1, j, k) || !inside(i, j - 1, k) || !inside(i, j + 1, k) || !inside(i, j, k - 1) || !inside(i, j, k + 1)) {
          out.push(i, j, k);
        }
      }
  return out;
}

/** Patient coordinates (mm) of voxel triples. */
function toMm(voxels: number[], affine: Float64Array): Float64Array {
  const a = affine;
  const out = new Float64Array(voxels.length);
  for (let p = 0; p < voxels.length; p += 3) {
    const i = voxels[p]!, j = voxels[p + 1]!, k = voxels[p + 2]!;
    out[p] = a[0]! * i + a[1]! * j + a[2]! * k + a[3]!;
    out[p + 1] = a[4]! * i + a[5]! * j + a[6]! * k + a[7]!;
    out[p + 2] = a[8]! * i + a[9]! * j + a[10]! * k + a[11]!;
  }
  return out;
}

/** Distance from each point of `from` to the nearest point of `to` (brute force over surface points only). */
function directed(from: Float64Array, to: Float64Array): number[] {
  const out: number[] = [];
  for (let p = 0; p < from.length; p += 3) {
    let best = Infinity;
    const x = from[p]!, y = from[p + 1]!, z = from[p + 2]!;
    for (let q = 0; q < to.length && best > 0; q += 3) {
      const dx = x - to[q]!, dy = y - to[q + 1]!, dz = z - to[q + 2]!;
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

/** Agreement per region (the AI's regions, with their label values, apply to both maps). */
export function segmentationAgreement(ai: Uint8Array, corrected: Uint8Array, grid: Grid, regions: ReadonlyArray<{ key: RegionKey; labelValues: number[] }>): RegionAgreement[] {
  if (ai.length !== corrected.length) throw new Error(`label maps differ in size: ${ai.length} and ${corrected.length} voxels`);
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
