/**
 * GET /ui/jobs/{id}/viewer-data?model=: the result page's slice viewer data, built from the same Findings the key
 * image comes from (the display series and the label map on its grid). Compact and bounded:
 *   - the volume is turned onto patient axes (x to the patient's Left, y to Posterior, z to Head) by swapping and
 *     flipping voxel axes only (no resampling; an oblique series is shown on its nearest patient axes);
 *   - every axis is subsampled (nearest voxel) to at most MAX_AXIS voxels, so at most 2 × 256³ bytes;
 *   - intensities are windowed to 8 bits (0.5th..99.5th percentile of the non-zero voxels); window/level in the
 *     browser works on those 8 bits.
 * Layout: uint32 LE header length, the JSON header (ViewerHeader), then nx·ny·nz intensity bytes and as many label
 * bytes, x fastest. Pure.
 */
import type { Findings } from '../../ai/findings';
import { dicomLabToRgb, notAssessableRegions, segmentCatalog } from '../../encoders/seg/segment-catalog';
import type { Vec3 } from '../../imaging/volume';

export const MAX_AXIS = 256;

export interface ViewerHeader {
  /** Sizes along x (R→L), y (A→P), z (F→H) after reorientation and subsampling. */
  dims: Vec3;
  /** Voxel size in mm along x, y, z (after subsampling). */
  spacing: Vec3;
  /** Subsampling factor per axis (1 = every voxel). */
  step: Vec3;
  /** Original intensities mapped to 0 and 255. */
  window: [number, number];
  /** Colour per label value (plain segments only; composites overlap them). */
  labels: Array<{ value: number; key: string; rgb: [number, number, number] }>;
  /** The plane the series was acquired in (its slices), which the viewer opens on and the measurement lies in. */
  plane: 'sagittal' | 'coronal' | 'axial';
  /** Voxel (x, y, z) the viewer opens at: the measurement, else the centre of the segmentation, else the middle. */
  focus: Vec3;
  /** The RANO-style diameters as (x, y, z) end points on this grid, with their caption. */
  bidimensional?: { long: [Vec3, Vec3]; short: [Vec3, Vec3]; text: string };
}

/** For each patient axis (x, y, z): the voxel axis (0 i, 1 j, 2 k) that runs along it and whether it runs backwards. */
export function patientAxes(affine: Float64Array): Array<{ axis: number; flip: boolean }> {
  const col = (c: number): number[] => [affine[c]!, affine[4 + c]!, affine[8 + c]!];
  const cols = [col(0), col(1), col(2)];
  const out: Array<{ axis: number; flip: boolean } | undefined> = [undefined, undefined, undefined];
  const usedAxis = new Set<number>();
  // Greedy by strongest alignment, so an oblique grid still gets a permutation.
  const pairs: Array<{ v: number; p: number; w: number }> = [];
  for (let v = 0; v < 3; v++) for (let p = 0; p < 3; p++) pairs.push({ v, p, w: Math.abs(cols[v]![p]!) / (Math.hypot(...cols[v]!) || 1) });
  pairs.sort((a, b) => b.w - a.w);
  for (const { v, p } of pairs) {
    if (out[p] || usedAxis.has(v)) continue;
    out[p] = { axis: v, flip: cols[v]![p]! < 0 };
    usedAxis.add(v);
  }
  return out as Array<{ axis: number; flip: boolean }>;
}

/** 0.5th and 99.5th percentile of the non-zero values (1024-bin histogram). */
function percentileWindow(values: ArrayLike<number>, indices: Uint32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (let k = 0; k < indices.length; k++) {
    const v = values[indices[k]!]!;
    if (!v) continue;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!n || max <= min) return n ? [min - 1, min] : [0, 1];
  const bins = new Uint32Array(1024);
  const scale = 1023 / (max - min);
  for (let k = 0; k < indices.length; k++) {
    const v = values[indices[k]!]!;
    if (v) bins[Math.round((v - min) * scale)]!++;
  }
  const at = (q: number): number => {
    let acc = 0;
    for (let b = 0; b < bins.length; b++) if ((acc += bins[b]!) >= q * n) return min + b / scale;
    return max;
  };
  const lo = at(0.005);
  const hi = at(0.995);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** The viewer payload of a model's Findings, or undefined when the model produced no segmentation grid. */
export function viewerData(findings: Findings): Buffer | undefined {
  const ref = findings.referenceSeries;
  const seg = findings.segmentation;
  if (!seg) return undefined;
  const axes = patientAxes(ref.affine);
  const src = ref.dims;
  const step = axes.map((a) => Math.ceil(src[a.axis]! / MAX_AXIS)) as Vec3;
  const dims = axes.map((a, p) => Math.ceil(src[a.axis]! / step[p]!)) as Vec3;
  const spacing = axes.map((a, p) => ref.spacing[a.axis]! * step[p]!) as Vec3;
  /** Source voxel index (i, j, k) of output voxel o along patient axis p. */
  const srcIndex = (p: number, o: number): number => {
    const a = axes[p]!;
    const n = src[a.axis]!;
    const s = o * step[p]!;
    return a.flip ? n - 1 - s : s;
  };
  const strides = [1, src[0], src[0] * src[1]];
  // Offset into the source of each output position along each axis (tight loops below: up to 256³ voxels).
  const offsets = [0, 1, 2].map((p) => Int32Array.from({ length: dims[p]! }, (_, o) => srcIndex(p, o) * strides[axes[p]!.axis]!));
  const [ox, oy, oz] = offsets as [Int32Array, Int32Array, Int32Array];
  const total = dims[0] * dims[1] * dims[2];
  const map = new Uint32Array(total);
  for (let z = 0, o = 0; z < dims[2]; z++) {
    for (let y = 0; y < dims[1]; y++) {
      const base = oz[z]! + oy[y]!;
      for (let x = 0; x < dims[0]; x++) map[o++] = base + ox[x]!;
    }
  }
  const [lo, hi] = percentileWindow(ref.data, map);
  const body = Buffer.alloc(2 * total);
  const scale = 255 / (hi - lo);
  const labels = seg.labelmap.data;
  let sx = 0, sy = 0, sz = 0, count = 0;
  for (let z = 0, n = 0; z < dims[2]; z++) {
    for (let y = 0; y < dims[1]; y++) {
      for (let x = 0; x < dims[0]; x++, n++) {
        const g = Math.round((ref.data[map[n]!]! - lo) * scale);
        body[n] = g < 0 ? 0 : g > 255 ? 255 : g;
        const label = labels[map[n]!]!;
        if (label) {
          body[total + n] = label;
          count++;
          sx += x;
          sy += y;
          sz += z;
        }
      }
    }
  }
  const focus: Vec3 = count ? [Math.round(sx / count), Math.round(sy / count), Math.round(sz / count)] : [dims[0] >> 1, dims[1] >> 1, dims[2] >> 1];
  /** Source voxel (i, j, k) -> (x, y, z) on the output grid (fractional when subsampled). */
  const toGrid = (ijk: Vec3): Vec3 =>
    axes.map((a, p) => {
      const n = src[a.axis]!;
      return (a.flip ? n - 1 - ijk[a.axis]! : ijk[a.axis]!) / step[p]!;
    }) as Vec3;
  // Not drawn where the result page says the measurement is not assessable.
  const b = notAssessableRegions(findings).some((n) => n.key === findings.bidimensional?.region) ? undefined : findings.bidimensional;
  const at = (ij: [number, number]): Vec3 => toGrid([ij[0], ij[1], b!.slice]);
  const header: ViewerHeader = {
    dims,
    spacing,
    step,
    window: [lo, hi],
    plane: (['sagittal', 'coronal', 'axial'] as const)[axes.findIndex((a) => a.axis === 2)]!,
    labels: segmentCatalog(findings, false)
      .filter((s) => s.labelValues.length === 1)
      .map((s) => ({ value: s.labelValues[0]!, key: s.key, rgb: dicomLabToRgb(s.cielab) })),
    focus: b ? (at(b.long.from).map(Math.round) as Vec3) : focus,
    ...(b
      ? { bidimensional: { long: [at(b.long.from), at(b.long.to)], short: [at(b.short.from), at(b.short.to)], text: `${b.long.lengthMm.toFixed(1)} × ${b.short.lengthMm.toFixed(1)} mm` } }
      : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([len, json, body]);
}

/** Reads a payload back (tests; the browser does the same in viewer-script.ts). */
export function parseViewerData(buf: Buffer): { header: ViewerHeader; voxels: Uint8Array; labels: Uint8Array } {
  const n = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as ViewerHeader;
  const total = header.dims[0] * header.dims[1] * header.dims[2];
  return { header, voxels: buf.subarray(4 + n, 4 + n + total), labels: buf.subarray(4 + n + total, 4 + n + 2 * total) };
}
