/** Typed errors and warnings of volume building and resampling: a machine-readable reason and a message naming the problem. */

export type VolumeErrorReason =
  | 'no-instances'
  | 'mixed-series'
  | 'missing-geometry'
  | 'mixed-orientation'
  | 'inconsistent-geometry'
  | 'duplicate-slice'
  | 'missing-slice'
  | 'multiple-echoes'
  | 'multiple-time-points'
  | 'unsupported-pixel-data'
  | 'bad-grid';

export class VolumeBuildError extends Error {
  constructor(
    message: string,
    public readonly reason: VolumeErrorReason,
    /** Series the problem was found in, when known (UIDs are not PHI). */
    public readonly seriesInstanceUid?: string,
  ) {
    super(message);
    this.name = 'VolumeBuildError';
  }
}

export const VOLUME_WARNING_CODES = [
  'non-uniform-spacing-resampled',
  'duplicate-instance-ignored',
  'sheared-slices',
  'monochrome1',
  'frame-of-reference-differs',
  'frame-of-reference-missing',
  'lossy-source',
  'slice-gap',
  'damaged-slice-dropped',
] as const;
export type VolumeWarningCode = (typeof VOLUME_WARNING_CODES)[number];

export interface VolumeWarning {
  code: VolumeWarningCode;
  message: string;
}
