/**
 * SEG encoder on several geometries, against real peers: sources written as real MR files, every SEG validated by
 * dciodvfy + our structural checks (conformance/check.ts), parsed by DCMTK (dcmdump) and dicom-parser, and decoded
 * back onto the source grid, where it must equal the input label map voxel for voxel.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { checkConformance, formatReport } from '../../conformance/check';
import { readP10 } from '../../src/dicom/p10';
import { encodeSeg, validateSegInput } from '../../src/encoders/seg/seg-encoder';
import { decodeSeg, segmentMask, segToLabelmap } from '../../src/encoders/seg/seg-decoder';
import { EncoderInputError, type EncoderOptions } from '../../src/encoders/options';
import { outputUids } from '../../src/encoders/uid-scheme';
import { AXIAL, obliqueCosines, syntheticCase, type GridSpec, type SyntheticCase } from '../../src/testing/synthetic-findings';
import { runTool } from '../helpers/dcmtk';
import { writeCase } from './helpers/case-files';

const OPTS: EncoderOptions = { node: { name: 'seg-test', version: '0.1.0' }, now: new Date('2026-02-03T04:05:06') };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seg-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ODD: GridSpec = { columns: 15, rows: 17, slices: 12, spacing: [1.1, 0.9, 3], ...AXIAL, origin: [-8, -7.5, 20] };

/** Encodes, writes, checks conformance with the sources, decodes back and compares with the label map. */
async function roundTrip(name: string, c: SyntheticCase, opts: EncoderOptions = OPTS, format: 'single-frame' | 'enhanced' = 'single-frame') {
  const caseDir = join(dir, name);
  const { sourceFiles } = await writeCase(c, join(caseDir, 'src'), format);
  const seg = encodeSeg(c.findings, c.header, opts, outputUids(c.findings, opts));
  const file = join(caseDir, 'seg.dcm');
  writeFileSync(file, seg.bytes);
  const report = await checkConformance([file, ...sourceFiles]);
  if (!report.ok) throw new Error(formatReport(report));
  const ds = readP10(seg.bytes).dataset;
  const decoded = decodeSeg(ds);
  const ref = c.findings.referenceSeries;
  const back = segToLabelmap(decoded, ref.sources, (n) => seg.segments.find((s) => s.number === n && s.labelValues.length === 1)?.labelValues[0]);
  expect(Buffer.from(back).equals(Buffer.from(c.findings.segmentation!.labelmap.data))).toBe(true);
  return { seg, ds, decoded, file, report };
}

describe('SEG encoder round trips (dciodvfy + structural checks + exact decode)', () => {
  test('axial, Rows x Columns = 17 x 15 (not a multiple of 8): frames start mid-byte', async () => {
    const c = syntheticCase({ grid: ODD, key: 'odd' });
    const { seg, ds, report } = await roundTrip('odd', c);
    expect((17 * 15) % 8).not.toBe(0);
    expect(seg.plan.frames.length).toBeGreaterThan(3);
    expect(ds.NumberOfFrames).toBe(seg.plan.frames.length);
    expect(ds.SegmentsOverlap).toBe('NO');
    expect(report.objects[0]!.issues.filter((i) => i.severity === 'error')).toEqual([]);
    // By default only the display series is referenced (OHIF overlays on whichever referenced series it meets first).
    const rss = ds.ReferencedSeriesSequence as Array<Record<string, unknown>>;
    expect(rss.map((s) => s.SeriesInstanceUID)).toEqual([c.findings.referenceSeries.seriesInstanceUid]);
    expect(c.findings.inputs.length).toBeGreaterThan(1);
  });

  test('referenceAllInputs: the display series first, then the other inputs', async () => {
    const c = syntheticCase({ grid: ODD, key: 'all-inputs' });
    const { ds, report } = await roundTrip('all-inputs', c, { ...OPTS, referenceAllInputs: true });
    expect(report.objects[0]!.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const rss = ds.ReferencedSeriesSequence as Array<Record<string, unknown>>;
    expect(rss[0]!.SeriesInstanceUID).toBe(c.findings.referenceSeries.seriesInstanceUid);
    expect(rss.map((s) => s.SeriesInstanceUID).sort()).toEqual(c.findings.inputs.map((i) => i.seriesInstanceUid).sort());
  });

  test('oblique (20 degrees) with Enhanced MR multi-frame sources: ReferencedFrameNumber per frame', async () => {
    const c = syntheticCase({ grid: { ...ODD, columns: 24, rows: 20, ...obliqueCosines(20), origin: [-30.25, 12.5, -4] }, key: 'oblique' });
    const { ds, decoded } = await roundTrip('oblique', c, OPTS, 'enhanced');
    expect(decoded.frames.every((f) => f.source?.frameNumber != null)).toBe(true);
    const iop = (ds.SharedFunctionalGroupsSequence as Array<Record<string, Array<Record<string, number[]>>>>)[0]!.PlaneOrientationSequence![0]!.ImageOrientationPatient!;
    c.findings.referenceSeries.imageOrientationPatient.forEach((v, i) => expect(Number(iop[i])).toBeCloseTo(v, 6));
  });

  test('slices stored against the normal: position indices still increase along the normal', async () => {
    const c = syntheticCase({ grid: { ...ODD, descending: true }, key: 'descending' });
    const { seg, decoded } = await roundTrip('descending', c);
    // Slice k = 0 is the most cranial, so it has the highest position index.
    const first = decoded.frames.find((f) => f.dimensionIndexValues[1] === seg.plan.positions.length)!;
    expect(seg.plan.positions[0]).toBeGreaterThan(seg.plan.positions[seg.plan.positions.length - 1]!);
    expect(first.ipp![2]).toBeGreaterThan(decoded.frames.find((f) => f.dimensionIndexValues[1] === 1)!.ipp![2]);
  });

  test('empty interior slices are omitted and positions index only the stored slices', async () => {
    const c = syntheticCase({
      grid: ODD,
      key: 'gaps',
      blobs: [
        { label: 2, centre: [7, 8, 2], radii: [4, 4, 1.2] },
        { label: 2, centre: [7, 8, 9], radii: [4, 4, 1.2] },
        { label: 3, centre: [7, 8, 9], radii: [2, 2, 0.6] },
        { label: 1, centre: [7, 8, 2], radii: [1.5, 1.5, 0.5] },
      ],
    });
    const { seg, decoded } = await roundTrip('gaps', c);
    const stored = new Set(seg.plan.frames.map((f) => f.slice));
    expect(stored.has(5)).toBe(false); // interior gap
    expect(seg.plan.positions.length).toBe(stored.size);
    expect(Math.max(...decoded.frames.map((f) => f.dimensionIndexValues[1]!))).toBe(stored.size);
  });

  test('an empty segment keeps its SegmentSequence item and has no frames', async () => {
    const c = syntheticCase({ grid: ODD, key: 'no-et', blobs: [{ label: 2, centre: [7, 8, 6], radii: [5, 5, 3] }, { label: 1, centre: [7, 8, 6], radii: [2, 2, 1] }] });
    const { seg, ds } = await roundTrip('no-et', c);
    expect(seg.plan.emptySegments).toEqual([3]);
    expect((ds.SegmentSequence as unknown[]).length).toBe(3);
    expect(seg.plan.frames.some((f) => f.segmentNumber === 3)).toBe(false);
  });

  test('nothing segmented: a valid SEG with one all-zero placeholder frame', async () => {
    const c = syntheticCase({ grid: ODD, key: 'empty', blobs: [] });
    const { seg, decoded } = await roundTrip('empty', c);
    expect(seg.plan.placeholder).toBe(true);
    expect(decoded.frames).toHaveLength(1);
    expect(decoded.pixelData.every((b) => b === 0)).toBe(true);
  });

  test('composite TC/WT segments overlap the plain ones and decode to their unions', async () => {
    const c = syntheticCase({ grid: ODD, key: 'composite' });
    const opts = { ...OPTS, compositeSegments: true };
    const { seg, ds, decoded } = await roundTrip('composite', c, opts);
    expect(ds.SegmentsOverlap).toBe('YES');
    expect(seg.segments.map((s) => s.key)).toEqual(['NCR', 'ED', 'ET', 'TC', 'WT']);
    const lm = c.findings.segmentation!.labelmap.data;
    const wt = segmentMask(decoded, 5, c.findings.referenceSeries.sources);
    const tc = segmentMask(decoded, 4, c.findings.referenceSeries.sources);
    for (let i = 0; i < lm.length; i++) {
      expect(wt[i]).toBe(lm[i]! > 0 ? 1 : 0);
      expect(tc[i]).toBe(lm[i] === 1 || lm[i] === 3 ? 1 : 0);
    }
  });

  test('omitEmptyFrames=false keeps every slice of every segment', async () => {
    const c = syntheticCase({ grid: ODD, key: 'all-frames' });
    const { decoded } = await roundTrip('all-frames', c, { ...OPTS, omitEmptyFrames: false });
    expect(decoded.frames).toHaveLength(3 * ODD.slices);
  });
});

describe('independent readers', () => {
  test('DCMTK dcmdump and dicom-parser read the same frame count, size and references', async () => {
    const c = syntheticCase({ grid: ODD, key: 'readers' });
    const { file, seg } = await roundTrip('readers', c);
    const dump = await runTool('dcmdump', ['+P', '0028,0008', '+P', '0062,0001', '+P', '0028,0100', '+P', '0028,0010', '+P', '0028,0011', file]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toContain(`[${seg.plan.frames.length}]`);
    expect(dump.stdout).toContain('[BINARY]');
    expect(dump.stdout).toMatch(/\(0028,0100\) US 1 /);
    const parsed = dicomParser.parseDicom(new Uint8Array(seg.bytes));
    expect(parsed.string('x00280008')).toBe(String(seg.plan.frames.length));
    expect(parsed.uint16('x00280010')).toBe(17);
    expect(parsed.uint16('x00280011')).toBe(15);
    const pixel = parsed.elements.x7fe00010!;
    expect(pixel.length).toBe(Math.ceil((seg.plan.frames.length * 255) / 8 / 2) * 2);
    const perFrame = parsed.elements.x52009230!.items!;
    expect(perFrame).toHaveLength(seg.plan.frames.length);
  });
});

describe('bad input gets a specific error', () => {
  const c = syntheticCase({ grid: ODD, key: 'bad' });
  test('label map on another grid', () => {
    const f = { ...c.findings, segmentation: { ...c.findings.segmentation!, labelmap: { ...c.findings.segmentation!.labelmap, dims: [15, 17, 11] as [number, number, number] } } };
    expect(() => validateSegInput(f)).toThrow(expect.objectContaining({ reason: 'grid-mismatch' }));
  });
  test('missing slice sources', () => {
    const ref = { ...c.findings.referenceSeries, sources: c.findings.referenceSeries.sources.slice(1) };
    expect(() => validateSegInput({ ...c.findings, referenceSeries: ref })).toThrow(expect.objectContaining({ reason: 'missing-sources' }));
  });
  test('slices out of order', () => {
    const ref = { ...c.findings.referenceSeries, sources: [...c.findings.referenceSeries.sources].reverse() };
    expect(() => validateSegInput({ ...c.findings, referenceSeries: ref })).toThrow(expect.objectContaining({ reason: 'bad-geometry' }));
  });
  test('a label value that no segment declares', () => {
    const data = new Uint8Array(c.findings.segmentation!.labelmap.data);
    data[100] = 7;
    const f = { ...c.findings, segmentation: { ...c.findings.segmentation!, labelmap: { ...c.findings.segmentation!.labelmap, data } } };
    expect(() => encodeSeg(f, c.header, OPTS, outputUids(f, OPTS))).toThrow(EncoderInputError);
    expect(() => encodeSeg(f, c.header, OPTS, outputUids(f, OPTS))).toThrow(/value 7/);
  });
});
