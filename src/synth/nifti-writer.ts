/**
 * Minimal NIfTI-1 writer (single .nii / .nii.gz file) for the ground-truth label volume. NIfTI world coordinates are
 * RAS, DICOM patient coordinates LPS: the sform/qform written here are diag(-1, -1, 1) * affineLps, so a NIfTI
 * viewer and dcm2niix place the labels exactly on the DICOM series.
 */
import { gzipSync } from 'node:zlib';
import type { Volume } from '../imaging/volume';

const DATATYPE = { uint8: [2, 8], int16: [4, 16], float32: [16, 32] } as const;

/** LPS affine -> RAS affine (negate the x and y rows). */
export function lpsToRasAffine(lps: Float64Array): Float64Array {
  const ras = new Float64Array(lps);
  for (let c = 0; c < 4; c++) {
    ras[c] = -lps[c]!;
    ras[4 + c] = -lps[4 + c]!;
  }
  return ras;
}

/**
 * Quaternion form (NIfTI qform) of a rotation + voxel size + offset affine, following nifti1_io's
 * mat44_to_quatern; exact when the affine's columns are orthogonal (true for everything the generator writes).
 */
export function quaternionOf(ras: Float64Array): { b: number; c: number; d: number; qfac: 1 | -1; pixdim: [number, number, number] } {
  const col = (j: number): [number, number, number] => [ras[j]!, ras[4 + j]!, ras[8 + j]!];
  const len = (v: number[]): number => Math.hypot(v[0]!, v[1]!, v[2]!);
  const c0 = col(0);
  const c1 = col(1);
  const c2 = col(2);
  const dx = len(c0);
  const dy = len(c1);
  const dz = len(c2);
  const r = [c0.map((v) => v / dx), c1.map((v) => v / dy), c2.map((v) => v / dz)]; // r[col][row]
  const R = (row: number, c: number): number => r[c]![row]!;
  const det = R(0, 0) * (R(1, 1) * R(2, 2) - R(1, 2) * R(2, 1)) - R(0, 1) * (R(1, 0) * R(2, 2) - R(1, 2) * R(2, 0)) + R(0, 2) * (R(1, 0) * R(2, 1) - R(1, 1) * R(2, 0));
  let qfac: 1 | -1 = 1;
  if (det < 0) {
    qfac = -1;
    for (let row = 0; row < 3; row++) r[2]![row] = -r[2]![row]!;
  }
  const a0 = R(0, 0) + R(1, 1) + R(2, 2) + 1;
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  if (a0 > 0.5) {
    a = 0.5 * Math.sqrt(a0);
    b = 0.25 * (R(2, 1) - R(1, 2)) / a;
    c = 0.25 * (R(0, 2) - R(2, 0)) / a;
    d = 0.25 * (R(1, 0) - R(0, 1)) / a;
  } else {
    const xd = 1 + R(0, 0) - (R(1, 1) + R(2, 2));
    const yd = 1 + R(1, 1) - (R(0, 0) + R(2, 2));
    const zd = 1 + R(2, 2) - (R(0, 0) + R(1, 1));
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = 0.25 * (R(0, 1) + R(1, 0)) / b;
      d = 0.25 * (R(0, 2) + R(2, 0)) / b;
      a = 0.25 * (R(2, 1) - R(1, 2)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = 0.25 * (R(0, 1) + R(1, 0)) / c;
      d = 0.25 * (R(1, 2) + R(2, 1)) / c;
      a = 0.25 * (R(0, 2) - R(2, 0)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = 0.25 * (R(0, 2) + R(2, 0)) / d;
      c = 0.25 * (R(1, 2) + R(2, 1)) / d;
      a = 0.25 * (R(1, 0) - R(0, 1)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac, pixdim: [dx, dy, dz] };
}

/** Encodes a volume (LPS affine) as NIfTI-1 bytes; gzip when `gzip` is true. */
export function encodeNifti(volume: Volume<Uint8Array | Int16Array | Float32Array>, opts: { gzip?: boolean; description?: string } = {}): Buffer {
  const dtype = volume.data instanceof Uint8Array ? 'uint8' : volume.data instanceof Int16Array ? 'int16' : 'float32';
  const [code, bits] = DATATYPE[dtype];
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  h.writeInt16LE(3, 40);
  for (let i = 0; i < 3; i++) h.writeInt16LE(volume.dims[i]!, 42 + 2 * i);
  for (let i = 3; i < 7; i++) h.writeInt16LE(1, 42 + 2 * i);
  h.writeInt16LE(code, 70);
  h.writeInt16LE(bits, 72);
  const ras = lpsToRasAffine(volume.affine);
  const q = quaternionOf(ras);
  h.writeFloatLE(q.qfac, 76);
  for (let i = 0; i < 3; i++) h.writeFloatLE(q.pixdim[i]!, 80 + 4 * i);
  h.writeFloatLE(352, 108); // vox_offset
  h.writeFloatLE(1, 112); // scl_slope
  h.writeFloatLE(0, 116); // scl_inter
  h.writeUInt8(2, 123); // xyzt_units: mm
  h.write((opts.description ?? '').slice(0, 79), 148, 'latin1');
  h.writeInt16LE(1, 252); // qform_code: scanner anatomical
  h.writeInt16LE(1, 254); // sform_code
  h.writeFloatLE(q.b, 256);
  h.writeFloatLE(q.c, 260);
  h.writeFloatLE(q.d, 264);
  h.writeFloatLE(ras[3]!, 268);
  h.writeFloatLE(ras[7]!, 272);
  h.writeFloatLE(ras[11]!, 276);
  for (let i = 0; i < 12; i++) h.writeFloatLE(ras[i]!, 280 + 4 * i);
  h.write('n+1\0', 344, 'latin1');
  const d = volume.data;
  const body = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  const out = Buffer.concat([h, body]);
  return opts.gzip ? gzipSync(out, { level: 6 }) : out;
}
