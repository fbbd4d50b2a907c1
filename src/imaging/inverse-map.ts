/**
 * Inverse mapping: model-grid results back onto a source series' own slices, so a SEG lands frame-for-frame on the
 * display series. Three ways, by what the model produced:
 *  - labelsToSeries: a label map, nearest neighbour (labels are never blended; the default for hard labels);
 *  - probabilitiesToSeries: per-class probability maps, trilinear (for SEG FRACTIONAL or uncertainty maps);
 *  - argmaxToSeries: argmax over trilinearly resampled class probabilities, the most accurate way to get labels on a
 *    finer native grid (boundaries follow the interpolated probabilities instead of model-grid voxel steps).
 * Target voxels outside the model grid get label 0 / probability 0.
 * The target is the series' own grid; for a stack that was resampled to uniform spacing (BuiltVolume.sourcePositions)
 * the target planes are the original slice positions, so each result slice matches one source instance.
 */
import { resampleLinearInto, resampleNearest, type TargetGrid } from './resample';
import type { SeriesVolume, Vec3 } from './volume';
import { VolumeBuildError } from './volume-errors';

/** A grid that results live on (the model grid): dims + voxel -> LPS affine. */
export interface ResultGrid {
  dims: Vec3;
  affine: Float64Array;
}

/** The series' native target: its own grid, or its original slice planes when sourcePositions are given. */
export function seriesTargetGrid(volume: Pick<SeriesVolume, 'dims' | 'affine'>, sourcePositions?: Vec3[]): TargetGrid {
  if (!sourcePositions) return { dims: [...volume.dims] as Vec3, affine: new Float64Array(volume.affine) };
  return { dims: [volume.dims[0], volume.dims[1], sourcePositions.length], affine: new Float64Array(volume.affine), sliceOrigins: sourcePositions };
}

function checkLength(n: number, grid: ResultGrid, what: string): void {
  const want = grid.dims[0] * grid.dims[1] * grid.dims[2];
  if (n !== want) throw new VolumeBuildError(`${what} has ${n} voxels, the model grid ${grid.dims.join('x')} has ${want}`, 'bad-grid');
}

/** Label map on the model grid -> label map on the target (nearest neighbour). */
export function labelsToSeries(labels: Uint8Array, grid: ResultGrid, target: TargetGrid): Uint8Array {
  checkLength(labels.length, grid, 'label map');
  return resampleNearest({ dims: grid.dims, spacing: [1, 1, 1], affine: grid.affine, data: labels }, target, { fill: 0 }) as Uint8Array;
}

/** Probability maps on the model grid -> on the target (trilinear, 0 outside the grid). */
export function probabilitiesToSeries(probabilities: Float32Array[], grid: ResultGrid, target: TargetGrid): Float32Array[] {
  const n = target.dims[0] * target.dims[1] * target.dims[2];
  return probabilities.map((p, c) => {
    checkLength(p.length, grid, `probability map ${c}`);
    const out = new Float32Array(n);
    resampleLinearInto({ dims: grid.dims, spacing: [1, 1, 1], affine: grid.affine, data: p }, target, out, { fill: 0 });
    return out;
  });
}

/**
 * Labels on the target as the argmax over classes of trilinearly resampled probabilities (class c -> label c, so
 * probabilities[0] is background). Outside the model grid: 0.
 */
export function argmaxToSeries(probabilities: Float32Array[], grid: ResultGrid, target: TargetGrid): Uint8Array {
  if (probabilities.length === 0 || probabilities.length > 255) {
    throw new VolumeBuildError(`argmax needs 1..255 class maps, got ${probabilities.length}`, 'bad-grid');
  }
  const n = target.dims[0] * target.dims[1] * target.dims[2];
  const best = new Float32Array(n).fill(-Infinity);
  const labels = new Uint8Array(n);
  const buf = new Float32Array(n);
  probabilities.forEach((p, c) => {
    checkLength(p.length, grid, `probability map ${c}`);
    resampleLinearInto({ dims: grid.dims, spacing: [1, 1, 1], affine: grid.affine, data: p }, target, buf, { fill: NaN });
    for (let i = 0; i < n; i++) {
      const v = buf[i]!;
      if (v > best[i]!) {
        best[i] = v;
        labels[i] = c;
      }
    }
  });
  return labels;
}

/** Label values of the nested-region convention (BraTS region-based models): which label each region level gets. */
export interface NestedLabels {
  /** TC minus ET (necrotic / non-enhancing core). */
  NCR: number;
  /** WT minus TC (oedema). */
  ED: number;
  ET: number;
}

/**
 * Nested labels from region probabilities already on the target grid: ET > t: ET, else TC > t: NCR, else WT > t:
 * ED (ET implies TC implies WT, as the engine decodes on the model grid). Absent regions are skipped.
 */
export function nestedLabels(probabilities: Partial<Record<'WT' | 'TC' | 'ET', ArrayLike<number>>>, labels: NestedLabels, threshold: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  // Outer to inner: each level overwrites the one around it.
  for (const [region, label] of [['WT', labels.ED], ['TC', labels.NCR], ['ET', labels.ET]] as const) {
    const p = probabilities[region];
    if (!p) continue;
    if (p.length !== n) throw new VolumeBuildError(`${region} probability map has ${p.length} voxels, expected ${n}`, 'bad-grid');
    for (let i = 0; i < n; i++) if (p[i]! > threshold) out[i] = label;
  }
  return out;
}

/**
 * Nested region probabilities (sigmoid WT, TC, ET) on the model grid -> labels on the target: each map is resampled
 * trilinearly and thresholded there, so boundaries follow the interpolated probabilities (not model-grid voxel
 * steps) and the hierarchy WT ⊇ TC ⊇ ET holds by construction.
 */
export function regionsToSeries(
  probabilities: Partial<Record<'WT' | 'TC' | 'ET', Float32Array>>,
  labels: NestedLabels,
  threshold: number,
  grid: ResultGrid,
  target: TargetGrid,
): Uint8Array {
  const regions = (Object.keys(probabilities) as Array<'WT' | 'TC' | 'ET'>).filter((r) => probabilities[r]);
  const mapped = probabilitiesToSeries(regions.map((r) => probabilities[r]!), grid, target);
  const onTarget: Partial<Record<'WT' | 'TC' | 'ET', Float32Array>> = {};
  regions.forEach((r, i) => (onTarget[r] = mapped[i]!));
  return nestedLabels(onTarget, labels, threshold, target.dims[0] * target.dims[1] * target.dims[2]);
}
