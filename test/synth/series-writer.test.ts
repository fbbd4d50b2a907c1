/**
 * The series writer: geometry attributes derived from the affine, deterministic UIDs, the DICOM validator
 * (dciodvfy, zero errors) on single-frame and Enhanced MR output, and DCMTK decoding our compressed pixel data to the
 * same values as our native encoding.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SopClass, TransferSyntax as TS } from '../../src/dicom/constants';
import { num, nums, readP10, str } from '../../src/dicom/p10';
import { SeriesWriterError, sliceGeometry, writeSeries } from '../../src/synth/series-writer';
import { affineFromAxes, cross, dot } from '../../src/imaging/affine';
import type { Vec3, Volume } from '../../src/imaging/volume';
import { runTool } from '../helpers/dcmtk';
import { AXIAL, ch2Series, rotatePlane } from '../imaging/helpers/ch2-series';
import { tempDir } from '../imaging/helpers/dcm2niix';

const HEADER = {
  PatientName: 'Synthetic^Brain',
  PatientID: 'SYN-001',
  StudyDescription: 'MR BRAIN',
  SeriesDescription: 'T1 AX',
  SeriesNumber: 3,
  EchoTime: 12,
  RepetitionTime: 600,
  FlipAngle: 90,
  Manufacturer: 'SIEMENS',
  MagneticFieldStrength: 3,
};

const OBLIQUE = rotatePlane(AXIAL, 12, -4, 20);
let work: string;
let vol: Volume<Int16Array | Float32Array>;

beforeAll(() => {
  work = tempDir('series-writer-');
  vol = ch2Series({ ...OBLIQUE, spacing: [1.5, 1.25, 4], dims: [100, 120, 8], offset: -100 });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function dciodvfy(buf: Buffer, name: string): Promise<string[]> {
  const p = join(work, name);
  writeFileSync(p, buf);
  const r = await runTool('dciodvfy', [p]);
  return (r.stdout + r.stderr).split('\n').filter((l) => /^Error/.test(l));
}

describe('series writer geometry', () => {
  it('writes IPP/IOP/PixelSpacing/SliceThickness/SpacingBetweenSlices/SliceLocation/InstanceNumber from the affine', async () => {
    const w = await writeSeries(vol, HEADER, { seed: 'geom', sliceThickness: 3 });
    expect(w.instances).toHaveLength(8);
    const g = sliceGeometry(vol);
    const normal = cross(OBLIQUE.row, OBLIQUE.col);
    w.instances.forEach((inst, k) => {
      const ds = readP10(inst.buffer).dataset;
      expect(str(ds, 'SOPClassUID')).toBe(SopClass.MRImage);
      const ipp = nums(ds, 'ImagePositionPatient')!;
      const expected = [0, 1, 2].map((r) => vol.affine[r * 4 + 3]! + vol.affine[r * 4 + 2]! * k);
      ipp.forEach((v, r) => expect(v).toBeCloseTo(expected[r]!, 6));
      const iop = nums(ds, 'ImageOrientationPatient')!;
      [...OBLIQUE.row, ...OBLIQUE.col].forEach((v, i) => expect(iop[i]).toBeCloseTo(v, 9));
      // PixelSpacing is [row spacing (j), column spacing (i)].
      expect(nums(ds, 'PixelSpacing')).toEqual([1.25, 1.5]);
      expect(num(ds, 'SliceThickness')).toBe(3);
      expect(num(ds, 'SpacingBetweenSlices')).toBe(4);
      expect(num(ds, 'SliceLocation')).toBeCloseTo(dot(ipp as Vec3, normal), 6);
      expect(num(ds, 'InstanceNumber')).toBe(k + 1);
      expect(str(ds, 'FrameOfReferenceUID')).toBe(w.frameOfReferenceUid);
      expect(str(ds, 'SeriesInstanceUID')).toBe(w.seriesInstanceUid);
      expect(str(ds, 'PatientID')).toBe('SYN-001');
      expect(num(ds, 'EchoTime')).toBe(12);
    });
    expect(g.sliceSpacing).toBeCloseTo(4, 9);
  });

  it('derives UIDs from the seed (same seed, same bytes) and keeps UIDs given in the template', async () => {
    const a = await writeSeries(vol, HEADER, { seed: 'uids' });
    const b = await writeSeries(vol, HEADER, { seed: 'uids' });
    const c = await writeSeries(vol, HEADER, { seed: 'other' });
    expect(Buffer.compare(a.instances[3]!.buffer, b.instances[3]!.buffer)).toBe(0);
    expect(c.seriesInstanceUid).not.toBe(a.seriesInstanceUid);
    expect(new Set(a.instances.map((i) => i.sopInstanceUid)).size).toBe(8);
    const d = await writeSeries(vol, { ...HEADER, StudyInstanceUID: '1.2.3.4', FrameOfReferenceUID: '1.2.3.5' }, { seed: 'uids' });
    expect(d.studyInstanceUid).toBe('1.2.3.4');
    expect(d.frameOfReferenceUid).toBe('1.2.3.5');
  });

  it('Enhanced MR: one multi-frame instance with per-frame positions and shared orientation/measures', async () => {
    const w = await writeSeries(vol, HEADER, { seed: 'enh', format: 'enhanced', sliceThickness: 3.5 });
    expect(w.instances).toHaveLength(1);
    const ds = readP10(w.instances[0]!.buffer).dataset;
    expect(str(ds, 'SOPClassUID')).toBe(SopClass.EnhancedMRImage);
    expect(num(ds, 'NumberOfFrames')).toBe(8);
    const shared = (ds.SharedFunctionalGroupsSequence as Record<string, unknown>[])[0]!;
    const meas = (shared.PixelMeasuresSequence as Record<string, unknown>[])[0]!;
    expect(nums(meas, 'PixelSpacing')).toEqual([1.25, 1.5]);
    expect(num(meas, 'SliceThickness')).toBe(3.5);
    expect(num(meas, 'SpacingBetweenSlices')).toBe(4);
    const echo = (shared.MREchoSequence as Record<string, unknown>[])[0]!;
    expect(num(echo, 'EffectiveEchoTime')).toBe(12);
    const perFrame = ds.PerFrameFunctionalGroupsSequence as Record<string, unknown>[];
    expect(perFrame).toHaveLength(8);
    const pos = nums((perFrame[5]!.PlanePositionSequence as Record<string, unknown>[])[0]!, 'ImagePositionPatient')!;
    pos.forEach((v, r) => expect(v).toBeCloseTo(vol.affine[r * 4 + 3]! + vol.affine[r * 4 + 2]! * 5, 6));
  });

  it('rejects a sheared stack, values that do not fit, and impossible options with specific reasons', async () => {
    const sheared = { ...vol, affine: affineFromAxes([[1, 0, 0], [0, 1, 0], [0.3, 0, 0.95]], [1, 1, 2], [0, 0, 0]) };
    await expect(writeSeries(sheared, {}, { seed: 's' })).rejects.toMatchObject({ reason: 'bad-geometry' });
    const big = { ...vol, data: Float32Array.from(vol.data, (v) => v * 1000) };
    await expect(writeSeries(big, {}, { seed: 's', rescale: { slope: 1, intercept: 0 } })).rejects.toMatchObject({ reason: 'value-out-of-range' });
    await expect(writeSeries(vol, {}, { seed: 's', transferSyntaxUid: TS.JpegBaseline, bitsAllocated: 16 })).rejects.toBeInstanceOf(SeriesWriterError);
    await expect(writeSeries(vol, {}, { seed: 's', transferSyntaxUid: '1.2.840.10008.1.2.4.100' })).rejects.toMatchObject({ reason: 'unsupported-transfer-syntax' });
  });

  it('maps non-integer data onto stored integers with a modality LUT (auto rescale)', async () => {
    const f = { ...vol, data: Float32Array.from(vol.data, (v) => v * 0.37 + 0.5) };
    const w = await writeSeries(f, {}, { seed: 'auto' });
    expect(w.rescale.slope).not.toBe(1);
    const ds = readP10(w.instances[2]!.buffer).dataset;
    expect(num(ds, 'RescaleSlope')).toBe(w.rescale.slope);
    const px = new Uint16Array((ds.PixelData as ArrayBuffer[])[0]!);
    const n = f.dims[0] * f.dims[1];
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(px[i]! * w.rescale.slope + w.rescale.intercept - f.data[2 * n + i]!));
    expect(maxErr).toBeLessThanOrEqual(w.rescale.slope / 2 + 1e-6);
  });
});

describe('validated by dciodvfy', () => {
  it.each([
    ['single-frame, explicit LE', 'single-frame', TS.ExplicitVRLittleEndian],
    ['single-frame, JPEG-LS', 'single-frame', TS.JpegLsLossless],
    ['Enhanced MR, explicit LE', 'enhanced', TS.ExplicitVRLittleEndian],
    ['Enhanced MR, JPEG 2000', 'enhanced', TS.Jpeg2000Lossless],
  ] as const)('%s: no errors', async (name, format, ts) => {
    const w = await writeSeries(vol, { ...HEADER, ContrastBolusAgent: 'Gadobutrol' }, { seed: `v-${name}`, format, transferSyntaxUid: ts });
    expect(await dciodvfy(w.instances[0]!.buffer, `${format}-${ts}.dcm`)).toEqual([]);
  });
});

describe('compressed output decodes in DCMTK to our native pixels', () => {
  it.each([
    ['RLE', TS.RleLossless, 'dcmdrle'],
    ['JPEG Lossless SV1', TS.JpegLosslessSV1, 'dcmdjpeg'],
    ['JPEG Lossless predictor 1', TS.JpegLossless, 'dcmdjpeg'],
    ['JPEG-LS lossless', TS.JpegLsLossless, 'dcmdjpls'],
    ['Deflated', TS.DeflatedExplicitVRLittleEndian, 'dcmconv'],
  ] as const)('%s (%s) via %s', async (_n, ts, tool) => {
    for (const format of ['single-frame', 'enhanced'] as const) {
      const native = await writeSeries(vol, {}, { seed: 'px', format });
      const comp = await writeSeries(vol, {}, { seed: 'px', format, transferSyntaxUid: ts });
      const inP = join(work, `dec-in-${ts}-${format}.dcm`);
      const outP = join(work, `dec-out-${ts}-${format}.dcm`);
      writeFileSync(inP, comp.instances[0]!.buffer);
      const r = await runTool(tool, tool === 'dcmconv' ? ['+te', inP, outP] : [inP, outP]);
      expect(r.code).toBe(0);
      const theirs = readP10(readFileSync(outP)).dataset.PixelData as ArrayBuffer[];
      const ours = readP10(native.instances[0]!.buffer).dataset.PixelData as ArrayBuffer[];
      expect(Buffer.compare(Buffer.from(theirs[0]!), Buffer.from(ours[0]!))).toBe(0);
    }
  });
});
