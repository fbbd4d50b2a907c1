/**
 * RANO-style bidimensional measurement of a segmented region on the display series' own slices: the longest
 * in-plane diameter, the longest diameter perpendicular to it on the same slice, and their product, on the slice
 * where that product is largest (Wen et al., RANO, J Clin Oncol 2010; RANO 2.0, J Clin Oncol 2023: measurable =
 * both diameters >= 10 mm). Radiologists compare these numbers between time points; the SR carries them as lines
 * a viewer draws on the image (OHIF shows SCOORD lines), next to the volumes.
 *
 * Distances are between voxel centres, in mm from the in-plane spacing of the grid (so they read as a radiologist's
 * caliper placed on the outermost voxels, short by up to one voxel). Pure: a label map in, numbers and voxel
 * coordinates out.
 */
import type { SeriesVolume, SliceSource, Vec3, Volume } from '../imaging/volume';
import type { RegionKey, RegionMeasurement } from './findings';

export interface Diameter {
  /** End points as (column i, row j) voxel indices on the slice. */
  from: [number, number];
  to: [number, number];
  lengthMm: number;
}

export interface Bidimensional {
  /** Slice index k on the label map's grid. */
  slice: number;
  long: Diameter;
  short: Diameter;
  productMm2: number;
  /** RANO: both diameters at least 10 mm. */
  measurable: boolean;
}

export const RANO_MIN_DIAMETER_MM = 10;

/** In-plane spacing (mm) of a grid: lengths of the affine's first two columns. */
export function inPlaneSpacing(affine: Float64Array): [number, number] {
  const col = (c: number): number => Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!);
  return [col(0), col(1)];
}

/** The longest and perpendicular diameters of the voxels of one slice; undefined for fewer than two voxels. */
export function sliceDiameters(points: Array<[number, number]>, spacing: [number, number]): { long: Diameter; short: Diameter } | undefined {
  if (points.length < 2) return undefined;
  const [si, sj] = spacing;
  const inside = new Set(points.map(([i, j]) => `${i},${j}`));
  // Only voxels on the outline can be diameter end points.
  const edge = points.filter(([i, j]) => !inside.has(`${i - 1},${j}`) || !inside.has(`${i + 1},${j}`) || !inside.has(`${i},${j - 1}`) || !inside.has(`${i},${j + 1}`));
  let best = { a: edge[0]!, b: edge[0]!, d2: -1 };
  for (let x = 0; x < edge.length; x++) {
    const [i1, j1] = edge[x]!;
    for (let y = x + 1; y < edge.length; y++) {
      const [i2, j2] = edge[y]!;
      const d2 = ((i1 - i2) * si) ** 2 + ((j1 - j2) * sj) ** 2;
      if (d2 > best.d2) best = { a: edge[x]!, b: edge[y]!, d2 };
    }
  }
  const longMm = Math.sqrt(best.d2);
  // Unit vector of the long axis (mm space) and its perpendicular.
  const ux = longMm > 0 ? ((best.b[0] - best.a[0]) * si) / longMm : 1;
  const uy = longMm > 0 ? ((best.b[1] - best.a[1]) * sj) / longMm : 0;
  const vx = -uy;
  const vy = ux;
  // Voxels in one strip across the long axis (strip width = the finer spacing): the perpendicular chord is the
  // widest strip, between its extreme voxels along the perpendicular.
  const width = Math.min(si, sj);
  const strips = new Map<number, { min: [number, number]; max: [number, number]; lo: number; hi: number }>();
  for (const p of edge) {
    const x = p[0] * si;
    const y = p[1] * sj;
    const t = Math.round((x * ux + y * uy) / width);
    const s = x * vx + y * vy;
    const st = strips.get(t);
    if (!st) strips.set(t, { min: p, max: p, lo: s, hi: s });
    else {
      if (s < st.lo) Object.assign(st, { lo: s, min: p });
      if (s > st.hi) Object.assign(st, { hi: s, max: p });
    }
  }
  let short: Diameter = { from: best.a, to: best.a, lengthMm: 0 };
  for (const st of strips.values()) {
    const len = Math.hypot((st.max[0] - st.min[0]) * si, (st.max[1] - st.min[1]) * sj);
    if (len > short.lengthMm) short = { from: st.min, to: st.max, lengthMm: len };
  }
  return { long: { from: best.a, to: best.b, lengthMm: longMm }, short };
}

/**
 * The bidimensional measurement of the voxels whose label is in `labelValues`, on the slice (k) where the product
 * of the diameters is largest; undefined when no slice holds two such voxels.
 */
export function bidimensional(labels: Uint8Array, dims: Vec3, affine: Float64Array, labelValues: readonly number[]): Bidimensional | undefined {
  const [ni, nj, nk] = dims;
  const spacing = inPlaneSpacing(affine);
  const wanted = new Uint8Array(256);
  for (const v of labelValues) wanted[v] = 1;
  let best: Bidimensional | undefined;
  for (let k = 0; k < nk; k++) {
    const points: Array<[number, number]> = [];
    const base = k * ni * nj;
    for (let j = 0; j < nj; j++) for (let i = 0; i < ni; i++) if (wanted[labels[base + j * ni + i]!]) points.push([i, j]);
    const d = sliceDiameters(points, spacing);
    if (!d) continue;
    const product = d.long.lengthMm * d.short.lengthMm;
    if (!best || product > best.productMm2) {
      best = { slice: k, ...d, productMm2: product, measurable: d.long.lengthMm >= RANO_MIN_DIAMETER_MM && d.short.lengthMm >= RANO_MIN_DIAMETER_MM };
    }
  }
  return best;
}

/** Where the measurement lies on the display series, as reports name it: "frame 12" (multi-frame) or "slice 12". */
export function bidimensionalPlace(b: { slice: number; source: SliceSource }): string {
  return b.source.frameNumber ? `frame ${b.source.frameNumber}` : `slice ${b.slice + 1}`;
}

/** RANO measures enhancing tumour; non-enhancing gliomas on the T2/FLAIR abnormality (RANO-LGG); metastases GTV. */
const BIDIMENSIONAL_REGIONS: RegionKey[] = ['ET', 'GTV', 'WT'];

/** The measurement for Findings: the first non-empty region of ET, GTV, WT, with the source image of its slice. */
export function bidimensionalOf(regions: RegionMeasurement[], labelmap: Volume<Uint8Array>, ref: SeriesVolume): (Bidimensional & { region: RegionKey; source: SliceSource }) | undefined {
  const region = BIDIMENSIONAL_REGIONS.map((k) => regions.find((r) => r.key === k)).find((r) => r && r.voxelCount > 0);
  if (!region) return undefined;
  const b = bidimensional(labelmap.data, labelmap.dims, labelmap.affine, region.labelValues);
  const source = b ? ref.sources[b.slice] : undefined;
  return b && source ? { ...b, region: region.key, source } : undefined;
}
