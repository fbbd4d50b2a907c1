/**
 * Minimal NIfTI-1 / NIfTI-2 reader (.nii and .nii.gz, either byte order) into a Volume with an LPS affine.
 * Used to read dcm2niix output in the agreement tests and the mricron anatomy templates (ch2.nii.gz).
 *
 * Affine: sform when sform_code > 0, else qform (quaternion) when qform_code > 0, else the pixdim scaling
 * (NIfTI "method 1"). NIfTI world space is RAS, so x and y are negated to get DICOM LPS.
 * Values: raw voxels in their stored type; scl_slope/scl_inter are returned separately (and applied by
 * niftiScaledValues) so that tests can compare stored values exactly.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { LPS_TO_RAS, multiply4, spacingOf } from './affine';
import type { Vec3, Volume, VoxelArray } from './volume';

export class NiftiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NiftiError';
  }
}

export type NiftiVoxels = VoxelArray | Int8Array | Uint32Array;

export interface NiftiImage extends Volume<VoxelArray> {
  /** Raw stored voxels (first volume only when the file has a 4th dimension). */
  data: VoxelArray;
  /** scl_slope (0 in the header means "no scaling": returned as 1) and scl_inter. */
  sclSlope: number;
  sclInter: number;
  /** NIfTI datatype code. */
  datatype: number;
  /** RAS affine exactly as the header gives it (sform/qform). */
  affineRas: Float64Array;
  /** Which header transform was used. */
  affineSource: 'sform' | 'qform' | 'pixdim';
  /** Number of volumes along dim 4 (1 for 3-D). */
  volumes: number;
}

interface HeaderReader {
  i16(o: number): number;
  i32(o: number): number;
  i64(o: number): number;
  f32(o: number): number;
  f64(o: number): number;
}

function reader(buf: Buffer, le: boolean): HeaderReader {
  return {
    i16: (o) => (le ? buf.readInt16LE(o) : buf.readInt16BE(o)),
    i32: (o) => (le ? buf.readInt32LE(o) : buf.readInt32BE(o)),
    i64: (o) => Number(le ? buf.readBigInt64LE(o) : buf.readBigInt64BE(o)),
    f32: (o) => (le ? buf.readFloatLE(o) : buf.readFloatBE(o)),
    f64: (o) => (le ? buf.readDoubleLE(o) : buf.readDoubleBE(o)),
  };
}

/** Bytes per voxel and typed-array constructor for the supported datatypes. */
const DATATYPES: Record<number, { bytes: number; name: string }> = {
  2: { bytes: 1, name: 'uint8' },
  4: { bytes: 2, name: 'int16' },
  8: { bytes: 4, name: 'int32' },
  16: { bytes: 4, name: 'float32' },
  64: { bytes: 8, name: 'float64' },
  256: { bytes: 1, name: 'int8' },
  512: { bytes: 2, name: 'uint16' },
};

/** Quaternion form (NIfTI-1 method 2) -> RAS affine. */
export function qformToAffine(b: number, c: number, d: number, qfac: number, pixdim: Vec3, offset: Vec3): Float64Array {
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // Numerically a ~ 0: renormalise (b, c, d) as the NIfTI reference code does.
    const s = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= s;
    c *= s;
    d *= s;
    a = 0;
  } else a = Math.sqrt(a);
  const [dx, dy] = [pixdim[0], pixdim[1]];
  const dz = pixdim[2] * (qfac < 0 ? -1 : 1);
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  return new Float64Array([
    r[0]![0]! * dx, r[0]![1]! * dy, r[0]![2]! * dz, offset[0],
    r[1]![0]! * dx, r[1]![1]! * dy, r[1]![2]! * dz, offset[1],
    r[2]![0]! * dx, r[2]![1]! * dy, r[2]![2]! * dz, offset[2],
    0, 0, 0, 1,
  ]);
}

/** Parses NIfTI bytes (already gunzipped or not). */
export function parseNifti(input: Buffer): NiftiImage {
  let buf = input;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new NiftiError(`corrupt gzip stream: ${(e as Error).message}`);
    }
  }
  if (buf.length < 348) throw new NiftiError(`file too short for a NIfTI header (${buf.length} bytes)`);
  const v1 = buf.readInt32LE(0) === 348 ? 'le' : buf.readInt32BE(0) === 348 ? 'be' : undefined;
  const v2 = buf.readInt32LE(0) === 540 ? 'le' : buf.readInt32BE(0) === 540 ? 'be' : undefined;
  if (!v1 && !v2) throw new NiftiError('not a NIfTI file (sizeof_hdr is neither 348 nor 540)');
  const le = (v1 ?? v2) === 'le';
  const r = reader(buf, le);
  const two = v2 != null;
  // Field offsets differ between NIfTI-1 and NIfTI-2 (64-bit dims, double transforms).
  const dimAt = (i: number): number => (two ? r.i64(16 + 8 * i) : r.i16(40 + 2 * i));
  const pixAt = (i: number): number => (two ? r.f64(104 + 8 * i) : r.f32(76 + 4 * i));
  const ndim = dimAt(0);
  if (ndim < 1 || ndim > 7) throw new NiftiError(`dim[0] = ${ndim} is not 1..7`);
  const dims: Vec3 = [Math.max(1, dimAt(1)), ndim >= 2 ? Math.max(1, dimAt(2)) : 1, ndim >= 3 ? Math.max(1, dimAt(3)) : 1];
  const volumes = ndim >= 4 ? Math.max(1, dimAt(4)) : 1;
  const datatype = two ? r.i16(12) : r.i16(70);
  const dt = DATATYPES[datatype];
  if (!dt) throw new NiftiError(`NIfTI datatype ${datatype} is not supported (uint8, int8, int16, uint16, int32, float32, float64 are)`);
  const voxOffset = Math.round(two ? r.i64(168) : r.f32(108));
  const rawSlope = two ? r.f64(176) : r.f32(112);
  const sclInter = two ? r.f64(184) : r.f32(116);
  const qformCode = two ? r.i32(344) : r.i16(252);
  const sformCode = two ? r.i32(348) : r.i16(254);
  const pixdim: Vec3 = [Math.abs(pixAt(1)) || 1, Math.abs(pixAt(2)) || 1, Math.abs(pixAt(3)) || 1];
  let affineRas: Float64Array;
  let affineSource: NiftiImage['affineSource'];
  if (sformCode > 0) {
    affineRas = new Float64Array(16);
    for (let i = 0; i < 12; i++) affineRas[i] = two ? r.f64(400 + 8 * i) : r.f32(280 + 4 * i);
    affineRas[15] = 1;
    affineSource = 'sform';
  } else if (qformCode > 0) {
    const q = two ? [r.f64(352), r.f64(360), r.f64(368)] : [r.f32(256), r.f32(260), r.f32(264)];
    const off: Vec3 = two ? [r.f64(376), r.f64(384), r.f64(392)] : [r.f32(268), r.f32(272), r.f32(276)];
    affineRas = qformToAffine(q[0]!, q[1]!, q[2]!, pixAt(0), pixdim, off);
    affineSource = 'qform';
  } else {
    affineRas = new Float64Array([pixdim[0], 0, 0, 0, 0, pixdim[1], 0, 0, 0, 0, pixdim[2], 0, 0, 0, 0, 1]);
    affineSource = 'pixdim';
  }
  const n = dims[0] * dims[1] * dims[2];
  const need = voxOffset + n * dt.bytes;
  if (buf.length < need) throw new NiftiError(`truncated NIfTI: ${buf.length} bytes, voxels need ${need}`);
  const data = readVoxels(buf, voxOffset, n, datatype, le);
  const affine = multiply4(LPS_TO_RAS, affineRas);
  return {
    dims,
    spacing: spacingOf(affine),
    affine,
    data,
    sclSlope: rawSlope === 0 || !Number.isFinite(rawSlope) ? 1 : rawSlope,
    sclInter: Number.isFinite(sclInter) ? sclInter : 0,
    datatype,
    affineRas,
    affineSource,
    volumes,
  };
}

function readVoxels(buf: Buffer, offset: number, n: number, datatype: number, le: boolean): VoxelArray {
  const bytes = DATATYPES[datatype]!.bytes;
  const copy = new Uint8Array(n * bytes);
  copy.set(buf.subarray(offset, offset + n * bytes));
  if (!le && bytes > 1) {
    for (let i = 0; i < copy.length; i += bytes) copy.subarray(i, i + bytes).reverse();
  }
  switch (datatype) {
    case 2:
      return copy;
    case 4:
      return new Int16Array(copy.buffer);
    case 8:
      return new Int32Array(copy.buffer);
    case 16:
      return new Float32Array(copy.buffer);
    case 64:
      return new Float64Array(copy.buffer);
    case 256:
      // Int8 is not a VoxelArray member; widen to Int16 (exact).
      return Int16Array.from(new Int8Array(copy.buffer));
    default:
      return new Uint16Array(copy.buffer);
  }
}

/** Reads a .nii or .nii.gz file. */
export function readNifti(path: string): NiftiImage {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new NiftiError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return parseNifti(buf);
  } catch (e) {
    if (e instanceof NiftiError) throw new NiftiError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Voxel values with scl_slope/scl_inter applied, as float32. */
export function niftiScaledValues(img: NiftiImage): Float32Array {
  const out = new Float32Array(img.data.length);
  const s = img.sclSlope;
  const b = img.sclInter;
  for (let i = 0; i < out.length; i++) out[i] = img.data[i]! * s + b;
  return out;
}
