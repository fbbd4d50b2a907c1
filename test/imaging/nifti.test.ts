/**
 * NIfTI reader: the real mricron template (ch2.nii.gz), dcm2niix output (see dcm2niix-agreement.test.ts), and
 * hand-built headers covering qform-only files, big-endian files, NIfTI-2, scaling and the datatypes we support.
 */
import { gzipSync } from 'node:zlib';
import { readNifti, parseNifti, niftiScaledValues, NiftiError } from '../../src/imaging/nifti';
import { CH2 } from './helpers/ch2-series';

interface Hdr {
  dims: number[];
  datatype: number;
  bitpix: number;
  pixdim: number[];
  sform?: number[];
  qform?: { b: number; c: number; d: number; qfac: number; offset: number[] };
  slope?: number;
  inter?: number;
  be?: boolean;
}

/** A NIfTI-1 single file (.nii) with the given header fields and voxel bytes. */
function nifti1(h: Hdr, voxels: Buffer): Buffer {
  const b = Buffer.alloc(352);
  const le = !h.be;
  const i16 = (o: number, v: number): number => (le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o));
  const i32 = (o: number, v: number): number => (le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o));
  const f32 = (o: number, v: number): number => (le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o));
  i32(0, 348);
  i16(40, h.dims.length);
  h.dims.forEach((d, i) => i16(42 + 2 * i, d));
  i16(70, h.datatype);
  i16(72, h.bitpix);
  f32(76, h.qform?.qfac ?? 1);
  h.pixdim.forEach((p, i) => f32(80 + 4 * i, p));
  f32(108, 352);
  f32(112, h.slope ?? 0);
  f32(116, h.inter ?? 0);
  if (h.qform) {
    i16(252, 1);
    f32(256, h.qform.b);
    f32(260, h.qform.c);
    f32(264, h.qform.d);
    h.qform.offset.forEach((o, i) => f32(268 + 4 * i, o));
  }
  if (h.sform) {
    i16(254, 1);
    h.sform.forEach((v, i) => f32(280 + 4 * i, v));
  }
  b.write('n+1\0', 344, 'latin1');
  return Buffer.concat([b, voxels]);
}

describe('NIfTI reader', () => {
  it('reads the mricron ch2 template: uint8, sform, RAS -> LPS', () => {
    const t = readNifti(CH2);
    expect(t.dims).toEqual([181, 217, 181]);
    expect(t.datatype).toBe(2);
    expect(t.affineSource).toBe('sform');
    // ch2's sform is x = i - 90, y = j - 125, z = k - 71 (RAS, MNI-like); in LPS x and y change sign.
    expect(Array.from(t.affineRas.slice(0, 12), (v) => v + 0)).toEqual([1, 0, 0, -90, 0, 1, 0, -125, 0, 0, 1, -71]);
    expect(Array.from(t.affine.slice(0, 12), (v) => v + 0)).toEqual([-1, 0, 0, 90, 0, -1, 0, 125, 0, 0, 1, -71]);
    expect(t.spacing).toEqual([1, 1, 1]);
    expect(t.data).toBeInstanceOf(Uint8Array);
    let max = 0;
    for (const v of t.data) max = Math.max(max, v);
    expect(max).toBeGreaterThan(100);
  });

  it('qform (quaternion, qfac -1) when there is no sform', () => {
    const s = Math.SQRT1_2;
    const buf = nifti1({ dims: [2, 3, 4], datatype: 4, bitpix: 16, pixdim: [2, 3, 4], qform: { b: 0, c: 0, d: s, qfac: -1, offset: [10, 20, 30] } }, Buffer.alloc(48));
    const img = parseNifti(buf);
    expect(img.affineSource).toBe('qform');
    // 90 deg about z: i -> +y, j -> -x; qfac -1 flips k.
    const a = Array.from(img.affineRas.slice(0, 12)).map((v) => Math.round(v * 1e5) / 1e5 + 0);
    expect(a).toEqual([0, -3, 0, 10, 2, 0, 0, 20, 0, 0, -4, 30]);
  });

  it('big-endian int16 with scl_slope/scl_inter, gzip, and uint16/float32/int8 datatypes', () => {
    const vox = Buffer.alloc(8);
    [1, -2, 300, -32768].forEach((v, i) => vox.writeInt16BE(v, 2 * i));
    const be = parseNifti(gzipSync(nifti1({ dims: [4, 1, 1], datatype: 4, bitpix: 16, pixdim: [1, 1, 1], slope: 0.5, inter: 10, be: true, sform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] }, vox)));
    expect(Array.from(be.data)).toEqual([1, -2, 300, -32768]);
    expect(Array.from(niftiScaledValues(be))).toEqual([10.5, 9, 160, -16374]);
    const u16 = Buffer.alloc(4);
    u16.writeUInt16LE(65535, 0);
    u16.writeUInt16LE(7, 2);
    expect(Array.from(parseNifti(nifti1({ dims: [2, 1, 1], datatype: 512, bitpix: 16, pixdim: [1, 1, 1] }, u16)).data)).toEqual([65535, 7]);
    const f = Buffer.alloc(8);
    f.writeFloatLE(1.5, 0);
    f.writeFloatLE(-2.25, 4);
    const fl = parseNifti(nifti1({ dims: [2, 1, 1], datatype: 16, bitpix: 32, pixdim: [1, 1, 1] }, f));
    expect(Array.from(fl.data)).toEqual([1.5, -2.25]);
    expect(fl.affineSource).toBe('pixdim');
    expect(Array.from(parseNifti(nifti1({ dims: [2, 1, 1], datatype: 256, bitpix: 8, pixdim: [1, 1, 1] }, Buffer.from([0xff, 0x05]))).data)).toEqual([-1, 5]);
  });

  it('NIfTI-2 header (64-bit dims, double sform)', () => {
    const h = Buffer.alloc(544);
    h.writeInt32LE(540, 0);
    h.writeInt16LE(16, 12); // float32
    h.writeInt16LE(32, 14);
    [3, 2, 2, 1].forEach((d, i) => h.writeBigInt64LE(BigInt(d), 16 + 8 * i));
    [1, 1.5, 1.5, 2].forEach((p, i) => h.writeDoubleLE(p, 104 + 8 * i));
    h.writeBigInt64LE(544n, 168);
    h.writeInt32LE(1, 348);
    [1.5, 0, 0, -1, 0, 1.5, 0, -2, 0, 0, 2, -3].forEach((v, i) => h.writeDoubleLE(v, 400 + 8 * i));
    const vox = Buffer.alloc(16);
    [1, 2, 3, 4].forEach((v, i) => vox.writeFloatLE(v, 4 * i));
    const img = parseNifti(Buffer.concat([h, vox]));
    expect(img.dims).toEqual([2, 2, 1]);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(img.affine.slice(0, 12), (v) => v + 0)).toEqual([-1.5, 0, 0, 1, 0, -1.5, 0, 2, 0, 0, 2, -3]);
  });

  it('clear errors: not NIfTI, truncated, unsupported datatype, missing file', () => {
    expect(() => parseNifti(Buffer.alloc(400))).toThrow(/not a NIfTI file/);
    expect(() => parseNifti(nifti1({ dims: [10, 10, 10], datatype: 4, bitpix: 16, pixdim: [1, 1, 1] }, Buffer.alloc(10)))).toThrow(/truncated/);
    expect(() => parseNifti(nifti1({ dims: [1, 1, 1], datatype: 128, bitpix: 24, pixdim: [1, 1, 1] }, Buffer.alloc(3)))).toThrow(/datatype 128/);
    expect(() => readNifti('/nonexistent/x.nii.gz')).toThrow(NiftiError);
  });
});
