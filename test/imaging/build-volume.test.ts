/**
 * buildSeriesVolume on real DICOM written by the series writer (ch2 anatomy): slice ordering, input forms, output
 * types, and every refusal/warning path (mixed orientations, duplicates, echoes, time points, missing slices,
 * non-uniform spacing, shear).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { TransferSyntax as TS } from '../../src/dicom/constants';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import { writeSeries, type SeriesWriterOptions } from '../../src/synth/series-writer';
import { buildSeriesVolume, subVolumesOf } from '../../src/imaging/build-volume';
import { readImageInstance } from '../../src/imaging/p10-image-reader';
import type { Volume } from '../../src/imaging/volume';
import { VolumeBuildError } from '../../src/imaging/volume-errors';
import { AXIAL, CORONAL, ch2Series, rotatePlane, type ScanPlan } from './helpers/ch2-series';
import { compareGrids, tempDir, writeFiles } from './helpers/dcm2niix';

const PLAN: ScanPlan = { ...rotatePlane(AXIAL, 10, 0, 5), spacing: [3, 3, 4], dims: [56, 64, 12], offset: -50 };
let work: string;
let vol: Volume<Int16Array | Float32Array>;

beforeAll(() => {
  work = tempDir('build-volume-');
  vol = ch2Series(PLAN);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function series(header: NaturalDataset = {}, opts: Partial<SeriesWriterOptions> = {}, v: Volume = vol): Promise<Buffer[]> {
  return (await writeSeries(v, header, { seed: 'bv', ...opts })).instances.map((i) => i.buffer);
}

function parsed(buffers: Buffer[]): { meta: NaturalDataset; dataset: NaturalDataset }[] {
  return buffers.map((b) => {
    const p = readP10(b);
    return { meta: p.meta, dataset: p.dataset };
  });
}

function sameAsSource(v: Volume, src: Volume = vol): void {
  const a = compareGrids(v, src, (i) => src.data[i]!);
  expect(a.indexMapIsPermutation).toBe(true);
  expect(a.affineMaxDiffMm).toBeLessThan(1e-6);
  expect(a.mismatches).toBe(0);
}

async function reason(p: Promise<unknown>): Promise<{ reason: string; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VolumeBuildError);
    return e as VolumeBuildError;
  }
  throw new Error('expected a VolumeBuildError');
}

describe('slice order and inputs', () => {
  it('sorts along the slice normal, not by InstanceNumber or input order', async () => {
    // InstanceNumber runs against the slice order; input order is shuffled.
    const bufs = await series({}, { instanceNumber: (k) => 100 - 3 * k });
    const shuffled = [5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6].map((i) => bufs[i]!);
    const b = await buildSeriesVolume(shuffled);
    sameAsSource(b.volume);
    expect(b.volume.data).toBeInstanceOf(Int16Array);
    expect(b.spacing.kind).toBe('uniform');
    expect(b.warnings).toEqual([]);
    // Provenance: slice k came from the instance at that position.
    b.volume.sources.forEach((s, k) => expect(s.imagePositionPatient[2]).toBeCloseTo(vol.affine[11]! + vol.affine[10]! * k, 6));
  });

  it('accepts file paths, P10 bytes, dcmjs-parsed data sets and InstanceData alike', async () => {
    const bufs = await series();
    const paths = writeFiles(join(work, 'inputs'), bufs);
    const p = parsed(bufs);
    for (const input of [paths, bufs, p, p.map((x) => ({ dataset: x.dataset, transferSyntaxUid: String(x.meta.TransferSyntaxUID) }))]) {
      sameAsSource((await buildSeriesVolume(input)).volume);
    }
  });

  it('the lean image reader returns the same attributes as the dcmjs parse (single-frame, implicit VR, Enhanced)', async () => {
    const cases = [
      ...(await series({ EchoTime: 9, TemporalPositionIdentifier: 2 })).slice(0, 1),
      ...(await series({}, { transferSyntaxUid: TS.ImplicitVRLittleEndian })).slice(0, 1),
      ...(await series({ EchoTime: 30 }, { format: 'enhanced', transferSyntaxUid: TS.JpegLsLossless })),
    ];
    for (const buf of cases) {
      const lean = readImageInstance(buf).dataset;
      const full = readP10(buf).dataset;
      for (const [k, v] of Object.entries(lean)) {
        if (k === 'PixelData') continue;
        if (k.endsWith('Sequence')) {
          // Nested: every attribute the lean reader kept equals dcmjs's.
          const walk = (a: unknown, b: unknown): void => {
            if (Array.isArray(a)) a.forEach((x, i) => walk(x, (b as unknown[])[i]));
            else if (a && typeof a === 'object') for (const [kk, vv] of Object.entries(a)) walk(vv, (b as Record<string, unknown>)[kk]);
            else expect(a).toEqual(b);
          };
          walk(v, full[k]);
        } else expect(v).toEqual(full[k]);
      }
      expect(Object.keys(lean)).toEqual(expect.arrayContaining(['SOPInstanceUID', 'Rows', 'Columns', 'PixelData']));
    }
  });

  it('Enhanced MR: frames become slices with frame-number provenance', async () => {
    const b = await buildSeriesVolume(await series({}, { format: 'enhanced' }));
    sameAsSource(b.volume);
    expect(b.volume.sources.map((s) => s.frameNumber)).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
  });
});

describe('modality LUT and output type', () => {
  it('int16 when exact, float32 with a non-integer slope, and per-frame slopes applied (Philips style)', async () => {
    const b1 = await buildSeriesVolume(await series({}, { rescale: { slope: 1, intercept: -1024 } }));
    expect(b1.volume.data).toBeInstanceOf(Int16Array);
    sameAsSource(b1.volume);
    const b2 = await buildSeriesVolume(await series({}, { rescale: { slope: 0.5, intercept: 3 } }));
    expect(b2.volume.data).toBeInstanceOf(Float32Array);
    sameAsSource(b2.volume);
    // Different slope per instance: stored values differ, rescaled values are the same volume.
    const halves = await series({}, { rescale: { slope: 0.5, intercept: 0 }, seed: 'ph' });
    const ones = await series({}, { rescale: { slope: 1, intercept: 0 }, seed: 'ph' });
    const mixed = halves.map((b, k) => (k % 2 ? b : ones[k]!));
    const b3 = await buildSeriesVolume(mixed);
    expect(b3.volume.data).toBeInstanceOf(Float32Array);
    sameAsSource(b3.volume);
  });
});

describe('refusals with specific reasons', () => {
  const SERIES = '1.2.826.0.1.3680043.10.1453.99.1';
  it('mixed series, no instances, missing geometry', async () => {
    const a = await series({}, { seed: 'a' });
    const b = await series({}, { seed: 'b' });
    expect((await reason(buildSeriesVolume([...a, ...b]))).reason).toBe('mixed-series');
    expect((await reason(buildSeriesVolume([]))).reason).toBe('no-instances');
    const p = parsed(a);
    delete p[4]!.dataset.ImagePositionPatient;
    const r = await reason(buildSeriesVolume(p));
    expect(r.reason).toBe('missing-geometry');
    expect(r.message).toContain('ImagePositionPatient');
  });

  it('mixed orientations in one series', async () => {
    const ax = await series({ SeriesInstanceUID: SERIES }, { seed: 'o1' });
    const cor = await series({ SeriesInstanceUID: SERIES }, { seed: 'o2' }, ch2Series({ ...CORONAL, spacing: [3, 3, 4], dims: [56, 64, 4] }));
    const r = await reason(buildSeriesVolume([...ax, ...cor]));
    expect(r.reason).toBe('mixed-orientation');
    expect(r.message).toMatch(/ImageOrientationPatient/);
  });

  it('the same instance twice is ignored with a warning; two instances at one position are a duplicated slice', async () => {
    const a = await series();
    const b = await buildSeriesVolume([...a, a[3]!]);
    sameAsSource(b.volume);
    expect(b.warnings.map((w) => w.code)).toContain('duplicate-instance-ignored');
    const other = await series({ SeriesInstanceUID: (await writeSeries(vol, {}, { seed: 'bv' })).seriesInstanceUid }, { seed: 'copy' });
    const r = await reason(buildSeriesVolume([...a, other[3]!]));
    expect(r.reason).toBe('duplicate-slice');
  });

  it('several echoes: refused naming the echo times; one echo builds when selected', async () => {
    const e1 = await series({ SeriesInstanceUID: SERIES, EchoTime: 10, EchoNumbers: 1 }, { seed: 'e1' });
    const e2 = await series({ SeriesInstanceUID: SERIES, EchoTime: 80, EchoNumbers: 2 }, { seed: 'e2' }, { ...vol, data: Int16Array.from(vol.data, (v) => v >> 1) });
    const r = await reason(buildSeriesVolume([...e1, ...e2]));
    expect(r.reason).toBe('multiple-echoes');
    expect(r.message).toContain('TE 10 ms');
    expect(r.message).toContain('TE 80 ms');
    const keys = await subVolumesOf([...e1, ...e2]);
    expect(keys.echoes).toEqual([{ echoNumber: 1, echoTime: 10 }, { echoNumber: 2, echoTime: 80 }]);
    const only1 = await buildSeriesVolume([...e1, ...e2], { selection: keys.echoes[0] });
    sameAsSource(only1.volume);
    const only2 = await buildSeriesVolume([...e1, ...e2], { selection: { echoNumber: 2 } });
    expect(only2.volume.data[only2.volume.data.length >> 1]).toBe(vol.data[vol.data.length >> 1]! >> 1);
  });

  it('several time points: refused naming them; one builds when selected', async () => {
    const t1 = await series({ SeriesInstanceUID: SERIES, TemporalPositionIdentifier: 1 }, { seed: 't1' });
    const t2 = await series({ SeriesInstanceUID: SERIES, TemporalPositionIdentifier: 2 }, { seed: 't2' });
    const r = await reason(buildSeriesVolume([...t1, ...t2]));
    expect(r.reason).toBe('multiple-time-points');
    expect(r.message).toContain('temporal position 2');
    sameAsSource((await buildSeriesVolume([...t1, ...t2], { selection: { temporalPosition: 2 } })).volume);
  });

  it('missing slices: refused with where and how many; interpolated across when allowed', async () => {
    const a = await series();
    const gap = a.filter((_, k) => k !== 4 && k !== 5);
    const r = await reason(buildSeriesVolume(gap));
    expect(r.reason).toBe('missing-slice');
    expect(r.message).toMatch(/2 between/);
    const b = await buildSeriesVolume(gap, { allowMissingSlices: true });
    expect(b.volume.dims[2]).toBe(12);
    expect(b.warnings.map((w) => w.code)).toContain('non-uniform-spacing-resampled');
    expect(b.sourcePositions).toHaveLength(10);
  });
});

describe('non-uniform spacing and shear', () => {
  it('resamples a non-uniform stack to the median step (exact for data linear along the normal) with a warning', async () => {
    // 1 mm slices whose value is linear in the slice index; keep steps 2,3,2,3,... mm.
    const dims: [number, number, number] = [16, 12, 31];
    const lin = ch2Series({ ...AXIAL, spacing: [2, 2, 1], dims });
    const plane = dims[0] * dims[1];
    for (let k = 0; k < dims[2]; k++) for (let i = 0; i < plane; i++) lin.data[k * plane + i] = 10 * k + (i % 7);
    const all = await series({}, { seed: 'lin' }, lin);
    const keep = [0, 2, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 30];
    const b = await buildSeriesVolume(keep.map((k) => all[k]!));
    expect(b.spacing.kind).toBe('non-uniform');
    expect(b.warnings.map((w) => w.code)).toContain('non-uniform-spacing-resampled');
    expect(b.volume.spacing[2]).toBeCloseTo(2.5, 9);
    expect(b.volume.dims[2]).toBe(13);
    // Slice k sits 2.5 k mm above the first: value 10 * 2.5 k + (i % 7).
    let maxErr = 0;
    for (let k = 0; k < 13; k++) for (let i = 0; i < plane; i++) maxErr = Math.max(maxErr, Math.abs(b.volume.data[k * plane + i]! - (25 * k + (i % 7))));
    expect(maxErr).toBeLessThan(1e-3);
    expect(b.sourcePositions).toHaveLength(13);
  });

  it('keeps a sheared (tilt-like) stack geometry in the affine, with a warning', async () => {
    const p = parsed(await series());
    p.forEach((x, k) => {
      const ipp = (x.dataset.ImagePositionPatient as number[]).map(Number);
      const row = (x.dataset.ImageOrientationPatient as number[]).slice(0, 3).map(Number);
      x.dataset.ImagePositionPatient = ipp.map((v, r) => v + 0.8 * k * row[r]!);
    });
    const b = await buildSeriesVolume(p);
    expect(b.warnings.map((w) => w.code)).toContain('sheared-slices');
    // The last slice's voxel (0,0) is where its IPP says.
    const last = p[11]!.dataset.ImagePositionPatient as number[];
    const a = b.volume.affine;
    [0, 1, 2].forEach((r) => expect(a[r * 4 + 2]! * 11 + a[r * 4 + 3]!).toBeCloseTo(last[r]!, 4));
  });
});
