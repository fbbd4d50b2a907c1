/**
 * The one volume type every stage shares: a 3-D voxel array with its DICOM patient-space geometry.
 * Geometry convention (same as DICOM, and as dcm2niix before its LPS->RAS flip):
 *   patient = affine * [i, j, k, 1], patient axes LPS (x to patient Left, y to Posterior, z to Head), mm.
 *   i = column index (fastest in `data`), j = row index, k = slice index.
 */
export type VoxelArray = Float32Array | Float64Array | Int16Array | Uint16Array | Uint8Array | Int32Array;

export type Vec3 = [number, number, number];

export interface Volume<T extends VoxelArray = VoxelArray> {
  /** [columns, rows, slices] = sizes along i, j, k. */
  dims: Vec3;
  /** Voxel size along i, j, k in mm (derivable from the affine; kept for convenience). */
  spacing: Vec3;
  /** 4x4 row-major voxel -> patient (LPS, mm) matrix, length 16. */
  affine: Float64Array;
  /** Voxels, index = i + dims[0] * (j + dims[1] * k). */
  data: T;
  /** Frame of Reference of the source series, when known. */
  frameOfReferenceUid?: string;
}

export function voxelCount(dims: Vec3): number {
  return dims[0] * dims[1] * dims[2];
}

/** Builds the affine from DICOM geometry: first-slice IPP, row/column direction cosines, spacing and slice normal. */
export function affineFromDicom(
  origin: Vec3,
  rowCosine: Vec3,
  columnCosine: Vec3,
  sliceDirection: Vec3,
  spacing: Vec3,
): Float64Array {
  // Columns (i) move along the row direction cosine (IOP[0..2]); rows (j) along the column cosine (IOP[3..5]).
  const [si, sj, sk] = spacing;
  return new Float64Array([
    rowCosine[0] * si, columnCosine[0] * sj, sliceDirection[0] * sk, origin[0],
    rowCosine[1] * si, columnCosine[1] * sj, sliceDirection[1] * sk, origin[1],
    rowCosine[2] * si, columnCosine[2] * sj, sliceDirection[2] * sk, origin[2],
    0, 0, 0, 1,
  ]);
}

/** patient = affine * voxel */
export function voxelToPatient(affine: Float64Array, i: number, j: number, k: number): Vec3 {
  const a = affine;
  return [
    a[0]! * i + a[1]! * j + a[2]! * k + a[3]!,
    a[4]! * i + a[5]! * j + a[6]! * k + a[7]!,
    a[8]! * i + a[9]! * j + a[10]! * k + a[11]!,
  ];
}

/** Where slice k of a volume came from: the source instance (and frame, for multi-frame) at that position. */
export interface SliceSource {
  sopClassUid: string;
  sopInstanceUid: string;
  /** 1-based frame number for multi-frame sources; absent for single-frame. */
  frameNumber?: number;
  /** ImagePositionPatient of this slice. */
  imagePositionPatient: Vec3;
}

/** A volume built from one DICOM series, with the per-slice provenance encoders need to reference it. */
export interface SeriesVolume<T extends VoxelArray = VoxelArray> extends Volume<T> {
  seriesInstanceUid: string;
  /** sources[k] = the instance/frame that slice k was read from. */
  sources: SliceSource[];
  /** ImageOrientationPatient (row cosine then column cosine). */
  imageOrientationPatient: [number, number, number, number, number, number];
  /** SliceThickness of the first source slice as the header gives it (derived objects copy it, not the slice step). */
  sliceThickness?: number;
}
