/**
 * Segmentation post-processing on a label map: hierarchical decoding (WT ⊇ TC ⊇ ET), small-component removal,
 * connected components and region volumes. Pure functions over typed arrays (i fastest).
 */
import type { RegionKey, RegionMeasurement } from './findings';
import type { Vec3 } from '../imaging/volume';
import type { SegmentationSpec } from './manifest';

export type Connectivity = 6 | 26;

/**
 * Connected components of mask voxels (value != 0). Returns a component id per voxel (0 = background, 1..n) and
 * the size of each component (sizes[id-1]).
 */
export function connectedComponents(mask: ArrayLike<number>, dims: Vec3, connectivity: Connectivity = 26): { ids: Int32Array; sizes: number[] } {
  const [nx, ny, nz] = dims;
  const ids = new Int32Array(nx * ny * nz);
  const sizes: number[] = [];
  const queue = new Int32Array(nx * ny * nz);
  const offsets: Vec3[] = [];
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const n = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (n === 0 || (connectivity === 6 && n > 1)) continue;
        offsets.push([dx, dy, dz]);
      }
  let next = 0;
  for (let start = 0; start < ids.length; start++) {
    if (!mask[start] || ids[start]) continue;
    next++;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    ids[start] = next;
    while (head < tail) {
      const v = queue[head++]!;
      const x = v % nx;
      const y = ((v - x) / nx) % ny;
      const z = (v - x - y * nx) / (nx * ny);
      for (const [dx, dy, dz] of offsets) {
        const X = x + dx;
        const Y = y + dy;
        const Z = z + dz;
        if (X < 0 || Y < 0 || Z < 0 || X >= nx || Y >= ny || Z >= nz) continue;
        const w = X + nx * (Y + ny * Z);
        if (mask[w] && !ids[w]) {
          ids[w] = next;
          queue[tail++] = w;
        }
      }
    }
    sizes.push(tail);
  }
  return { ids, sizes };
}

export interface GliomaLabels {
  NCR: number;
  ED: number;
  ET: number;
}

/**
 * Hierarchical decoding of class probabilities: WT where P(NCR)+P(ED)+P(ET) > 0.5, TC inside WT where
 * P(NCR)+P(ET) > 0.5, ET inside TC where P(ET) > 0.5 (the nested-region rule of BraTS region-based models).
 * Guarantees WT ⊇ TC ⊇ ET and decides each region on its own calibrated probability, where a plain argmax can
 * leave a voxel with P(tumour) = 0.6 as background when no single class beats background.
 */
export function decodeHierarchical(pNCR: Float32Array, pED: Float32Array, pET: Float32Array, labels: GliomaLabels, threshold = 0.5): Uint8Array {
  const out = new Uint8Array(pNCR.length);
  for (let v = 0; v < out.length; v++) {
    const et = pET[v]!;
    const tc = pNCR[v]! + et;
    if (tc + pED[v]! <= threshold) continue;
    if (tc <= threshold) out[v] = labels.ED;
    else out[v] = et > threshold ? labels.ET : labels.NCR;
  }
  return out;
}

/**
 * Removes whole-tumour components smaller than minVoxels (set to background), then turns enhancing components
 * smaller than minVoxels into NCR (they stay inside TC, so the hierarchy holds). Returns how much was removed.
 */
export function removeSmallComponents(
  labels: Uint8Array,
  dims: Vec3,
  minVoxels: number,
  glioma?: GliomaLabels,
): { removedComponents: number; removedVoxels: number; relabelledEtVoxels: number } {
  let removedComponents = 0;
  let removedVoxels = 0;
  let relabelledEtVoxels = 0;
  if (minVoxels <= 1) return { removedComponents, removedVoxels, relabelledEtVoxels };
  const wt = connectedComponents(labels, dims);
  const small = wt.sizes.map((s) => s < minVoxels);
  for (let v = 0; v < labels.length; v++) {
    const id = wt.ids[v]!;
    if (id && small[id - 1]) {
      labels[v] = 0;
      removedVoxels++;
    }
  }
  removedComponents = small.filter(Boolean).length;
  if (glioma) {
    const etMask = Uint8Array.from(labels, (l) => (l === glioma.ET ? 1 : 0));
    const et = connectedComponents(etMask, dims);
    for (let v = 0; v < labels.length; v++) {
      const id = et.ids[v]!;
      if (id && et.sizes[id - 1]! < minVoxels) {
        labels[v] = glioma.NCR;
        relabelledEtVoxels++;
      }
    }
  }
  return { removedComponents, removedVoxels, relabelledEtVoxels };
}

/** |det| of the affine's 3x3 part: the voxel volume in mm³. */
export function voxelVolumeMm3(affine: Float64Array): number {
  const a = affine;
  const det =
    a[0]! * (a[5]! * a[10]! - a[6]! * a[9]!) - a[1]! * (a[4]! * a[10]! - a[6]! * a[8]!) + a[2]! * (a[4]! * a[9]! - a[5]! * a[8]!);
  return Math.abs(det);
}

/** Label values of each reported region: segments and the manifest's composites. */
export function regionLabelValues(seg: SegmentationSpec): { key: RegionKey; labelValues: number[] }[] {
  const out: { key: RegionKey; labelValues: number[] }[] = seg.segments.map((s, i) => ({ key: s.key, labelValues: [i + 1] }));
  for (const [key, members] of Object.entries(seg.regionDefinitions)) {
    const values = (members ?? []).map((k) => seg.segments.findIndex((s) => s.key === k) + 1).filter((x) => x > 0);
    if (!out.some((o) => o.key === key)) out.push({ key: key as RegionKey, labelValues: values.sort((a, b) => a - b) });
  }
  return out;
}

/** Voxel counts and volumes (mL) per region on the grid of `labels`, with mean voxel uncertainty when given. */
export function measureRegions(
  labels: Uint8Array,
  affine: Float64Array,
  regions: { key: RegionKey; labelValues: number[] }[],
  uncertainty?: Float32Array,
): RegionMeasurement[] {
  const counts = new Map<number, number>();
  const usum = new Map<number, number>();
  for (let v = 0; v < labels.length; v++) {
    const l = labels[v]!;
    if (!l) continue;
    counts.set(l, (counts.get(l) ?? 0) + 1);
    if (uncertainty) usum.set(l, (usum.get(l) ?? 0) + uncertainty[v]!);
  }
  const mm3 = voxelVolumeMm3(affine);
  return regions.map((r) => {
    const n = r.labelValues.reduce((a, l) => a + (counts.get(l) ?? 0), 0);
    const u = r.labelValues.reduce((a, l) => a + (usum.get(l) ?? 0), 0);
    return {
      key: r.key,
      labelValues: r.labelValues,
      voxelCount: n,
      volumeMl: (n * mm3) / 1000,
      ...(uncertainty && n ? { meanUncertainty: u / n } : {}),
    };
  });
}

/** Dice of two binary selections of label maps (1 when both are empty). */
export function dice(a: Uint8Array, aLabels: readonly number[], b: Uint8Array, bLabels: readonly number[]): number {
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let v = 0; v < a.length; v++) {
    const x = aLabels.includes(a[v]!);
    const y = bLabels.includes(b[v]!);
    if (x) sa++;
    if (y) sb++;
    if (x && y) inter++;
  }
  return sa + sb ? (2 * inter) / (sa + sb) : 1;
}
