/**
 * How a model wants its input: the reference grid all selected series are resampled into, and how intensities are
 * normalised. Declared in a model package's manifest; used by preprocessing at inference AND by the training-set
 * export, so that training and inference see exactly the same transform.
 */
import type { Vec3 } from './volume';

export interface GridSpec {
  /** Voxel size in mm along i, j, k. */
  spacing: Vec3;
  /** Grid size in voxels along i, j, k. */
  size: Vec3;
  /**
   * Axis convention of the grid:
   *  - 'LPS' / 'RAS': axis-aligned with the patient axes (i, j, k along x, y, z of that convention);
   *  - 'reference-series': the orientation of the chosen reference series (e.g. T1ce), resliced to `spacing`.
   */
  orientation: 'LPS' | 'RAS' | 'reference-series';
  /** Where the grid is centred: centroid of the head mask of the reference series, or the centre of its volume. */
  centre: 'head-centroid' | 'volume-centre';
}

export interface NormalisationSpec {
  method: 'zscore' | 'none';
  /** Intensities are clipped to these percentiles (computed inside the mask) before z-scoring. */
  clipPercentiles?: [number, number];
  /** Voxels used for percentiles/mean/std: a head mask (Otsu + hole filling), non-zero voxels, or all. */
  mask: 'head' | 'nonzero' | 'all';
}
