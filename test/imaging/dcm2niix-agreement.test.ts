/**
 * Our volumes vs dcm2niix (the reference converter) on the same DICOM files: the voxel -> patient affine must agree
 * within 1e-3 mm and the voxel values must be identical (lossless syntaxes) before any resampling.
 * Series are real anatomy (mricron ch2) written by our series writer in axial, sagittal, coronal and oblique planes,
 * several resolutions and slice gaps, native and compressed syntaxes, single-frame and Enhanced MR.
 * dcm2niix reads most of them directly. It does not support JPEG-LS, Deflated, or compressed multi-frame files: those
 * are first decoded by DCMTK (dcmdjpls, dcmconv +te, dcmdjpeg, dcmdrle), as dcm2niix itself recommends, and dcm2niix
 * converts the result. JPEG Baseline is lossy and decoders may legitimately differ by rounding; it is compared
 * against DCMTK's (IJG) decode, within 1 grey level.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { TransferSyntax as TS } from '../../src/dicom/constants';
import { writeSeries, type SeriesWriterOptions } from '../../src/synth/series-writer';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import type { Vec3 } from '../../src/imaging/volume';
import { runTool } from '../helpers/dcmtk';
import { AXIAL, CORONAL, SAGITTAL, ch2Series, rotatePlane, type ScanPlan } from './helpers/ch2-series';
import { compareGrids, compareWithNifti, dcm2niix, tempDir, writeFiles, type Agreement } from './helpers/dcm2niix';

interface Case {
  name: string;
  plan: ScanPlan;
  writer: Omit<SeriesWriterOptions, 'seed'>;
  /** DCMTK pre-decoder for syntaxes dcm2niix cannot read. */
  predecode?: 'dcmdjpls' | 'dcmdjpeg' | 'dcmdrle' | 'dcmconv';
  /** Lossy syntaxes: maximum allowed difference between our decode and dcm2niix's. */
  lossyTolerance?: number;
  float?: boolean;
}

const OBLIQUE = rotatePlane(AXIAL, 15, 5, -10);
const OBLIQUE_SAG = rotatePlane(SAGITTAL, -8, 0, 12);

const CASES: Case[] = [
  { name: 'axial 1.0x1.0x1.5 explicit LE, int16 signed', plan: { ...AXIAL, spacing: [1, 1, 1.5], dims: [176, 208, 100], offset: -200 }, writer: {} },
  { name: 'sagittal 1.2x1.2x3 implicit LE, reversed slice order', plan: { ...SAGITTAL, spacing: [1.2, 1.2, 3], dims: [176, 150, 50], reverseSlices: true }, writer: { transferSyntaxUid: TS.ImplicitVRLittleEndian } },
  { name: 'coronal 0.9 mm, 5 mm step / 3 mm thick (gap), RLE, rescale 0.5/-20', plan: { ...CORONAL, spacing: [0.9, 0.9, 5], dims: [200, 190, 34] }, writer: { transferSyntaxUid: TS.RleLossless, sliceThickness: 3, rescale: { slope: 0.5, intercept: -20 } }, float: true },
  { name: 'oblique axial 1.1x1.1x4 (2.5 thick), JPEG Lossless SV1', plan: { ...OBLIQUE, spacing: [1.1, 1.1, 4], dims: [170, 190, 40] }, writer: { transferSyntaxUid: TS.JpegLosslessSV1, sliceThickness: 2.5 } },
  { name: 'oblique sagittal 1.2x1.2x2.4, JPEG Lossless predictor 6, 12-bit', plan: { ...OBLIQUE_SAG, spacing: [1.2, 1.2, 2.4], dims: [130, 120, 50] }, writer: { transferSyntaxUid: TS.JpegLossless, codec: { jpegPredictor: 6 }, bitsStored: 12 } },
  { name: 'coronal 1.0x1.0x4, JPEG-LS lossless (dcmdjpls for dcm2niix)', plan: { ...CORONAL, spacing: [1, 1, 4], dims: [180, 180, 30] }, writer: { transferSyntaxUid: TS.JpegLsLossless }, predecode: 'dcmdjpls' },
  { name: 'axial 1.3 mm, JPEG 2000 lossless', plan: { ...AXIAL, spacing: [1.3, 1.3, 3.9], dims: [140, 164, 38], offset: -50 }, writer: { transferSyntaxUid: TS.Jpeg2000Lossless } },
  { name: 'axial 2x2x5 mm, deflated (dcmconv +te for dcm2niix)', plan: { ...AXIAL, spacing: [2, 2, 5], dims: [90, 110, 30] }, writer: { transferSyntaxUid: TS.DeflatedExplicitVRLittleEndian }, predecode: 'dcmconv' },
  { name: 'sagittal 1.5x1.5x3, explicit VR big endian', plan: { ...SAGITTAL, spacing: [1.5, 1.5, 3], dims: [140, 120, 50] }, writer: { transferSyntaxUid: TS.ExplicitVRBigEndian } },
  { name: 'Enhanced MR oblique 1.5 mm isotropic, explicit LE', plan: { ...OBLIQUE, spacing: [1.5, 1.5, 1.5], dims: [120, 140, 110] }, writer: { format: 'enhanced' } },
  { name: 'Enhanced MR sagittal 1.2x1.2x2.4 (2 thick), JPEG Lossless SV1 (dcmdjpeg)', plan: { ...SAGITTAL, spacing: [1.2, 1.2, 2.4], dims: [160, 140, 64] }, writer: { format: 'enhanced', transferSyntaxUid: TS.JpegLosslessSV1, sliceThickness: 2 }, predecode: 'dcmdjpeg' },
  { name: 'Enhanced MR coronal, RLE, rescale 0.25/10 (dcmdrle)', plan: { ...CORONAL, spacing: [1.4, 1.4, 2.8], dims: [128, 128, 60] }, writer: { format: 'enhanced', transferSyntaxUid: TS.RleLossless, rescale: { slope: 0.25, intercept: 10 } }, float: true, predecode: 'dcmdrle' },
  { name: 'Enhanced MR axial, JPEG-LS lossless (dcmdjpls)', plan: { ...AXIAL, spacing: [1.6, 1.6, 2], dims: [110, 130, 70] }, writer: { format: 'enhanced', transferSyntaxUid: TS.JpegLsLossless }, predecode: 'dcmdjpls' },
  { name: 'axial JPEG Baseline 8-bit, lossy (dcmdjpeg)', plan: { ...AXIAL, spacing: [1.5, 1.5, 5], dims: [120, 144, 30], gain: 1 }, writer: { transferSyntaxUid: TS.JpegBaseline }, predecode: 'dcmdjpeg', lossyTolerance: 1 },
  { name: 'axial JPEG 2000 lossy', plan: { ...AXIAL, spacing: [1.5, 1.5, 4], dims: [120, 144, 36] }, writer: { transferSyntaxUid: TS.Jpeg2000, codec: { jpeg2000Rate: 8 } }, lossyTolerance: 2 },
];

const results: { name: string; a: Agreement; ms: { ours: number; dcm2niix: number } }[] = [];
let work: string;

beforeAll(() => {
  work = tempDir('dcm2niix-agree-');
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (results.length) {
    const lines = results.map(
      (r) =>
        `${r.name.padEnd(72)} affine ${r.a.affineMaxDiffMm.toExponential(1)} mm, ${r.a.compared} voxels, mismatches ${r.a.mismatches}, max |diff| ${r.a.maxValueDiff}`,
    );
    console.log(`dcm2niix agreement\n${lines.join('\n')}`);
  }
});

describe('volumes agree with dcm2niix', () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_name, idx) => {
    const c = CASES[idx]!;
    const src = ch2Series(c.plan, { float: c.float });
    const written = await writeSeries(src, { SeriesDescription: c.name.slice(0, 60), EchoTime: 12, RepetitionTime: 600, Manufacturer: 'SIEMENS', ProtocolName: 'test' }, { seed: `agree-${idx}`, ...c.writer });
    const dir = join(work, `case${idx}`);
    const files = writeFiles(dir, written.instances.map((x) => x.buffer));
    if (c.predecode) {
      for (const f of files) {
        const r = c.predecode === 'dcmconv' ? await runTool('dcmconv', ['+te', f, f]) : await runTool(c.predecode, [f, f]);
        expect(r.code).toBe(0);
      }
    }
    const t0 = performance.now();
    const built = await buildSeriesVolume(files);
    const tOurs = performance.now() - t0;
    const t1 = performance.now();
    const nii = await dcm2niix(dir);
    const tTheirs = performance.now() - t1;
    const v = built.volume;
    expect(v.dims).toEqual(c.plan.dims);
    const a = compareWithNifti(v, nii);
    results.push({ name: c.name, a, ms: { ours: tOurs, dcm2niix: tTheirs } });
    expect(a.indexMapIsPermutation).toBe(true);
    expect(a.affineMaxDiffMm).toBeLessThan(1e-3);
    expect(a.compared).toBe(v.data.length);
    if (c.lossyTolerance == null) {
      expect(a.mismatches).toBe(0);
      // And the values are the writer's input, exactly (lossless round trip through DICOM), at the same world positions.
      const { slope, intercept } = written.rescale;
      const expected = (idx: number): number => (c.float ? Math.fround(Math.round((src.data[idx]! - intercept) / slope) * slope + intercept) : src.data[idx]!);
      const self = compareGrids(v, src, expected);
      expect(self.indexMapIsPermutation).toBe(true);
      expect(self.affineMaxDiffMm).toBeLessThan(1e-6);
      expect(self.mismatches).toBe(0);
    } else {
      expect(a.maxValueDiff).toBeLessThanOrEqual(c.lossyTolerance);
    }
  });

  it('our affine maps the written slice positions (spot check of the slice normal sign)', async () => {
    const plan: ScanPlan = { ...SAGITTAL, spacing: [2, 2, 3], dims: [60, 50, 20], reverseSlices: true };
    const src = ch2Series(plan);
    const written = await writeSeries(src, {}, { seed: 'normal-sign' });
    const built = await buildSeriesVolume(written.instances.map((x) => x.buffer));
    const n: Vec3 = [built.volume.affine[2]!, built.volume.affine[6]!, built.volume.affine[10]!];
    // Row x column for SAGITTAL = (0,1,0) x (0,0,-1) = (-1,0,0): slices run along -x regardless of the written order.
    expect(n[0]).toBeCloseTo(-3, 6);
    expect(built.volume.sources[0]!.imagePositionPatient[0]).toBeGreaterThan(built.volume.sources[19]!.imagePositionPatient[0]);
  });
});
