/**
 * Review SRs (accepted, corrected, rejected) written from a synthetic case: dciodvfy zero errors, DCMTK dsrdump
 * parses them, the structural checks pass with the SEG each one references (volumes recomputed from the corrected
 * SEG), VERIFIED with the reviewer, superseding the AI SR. Plus the agreement figures on shapes with known answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConformance, formatReport } from '../../conformance/check';
import { readP10 } from '../../src/dicom/p10';
import { encodeResults, outputUids } from '../../src/encoders';
import { dciodvfy } from '../../src/encoders/conformance/validators';
import type { EncoderOptions } from '../../src/encoders/options';
import { encodeSeg } from '../../src/encoders/seg/seg-encoder';
import { segmentCatalog } from '../../src/encoders/seg/segment-catalog';
import { encodeReviewSr, type ReviewSrInput } from '../../src/encoders/sr/verified-sr';
import { AXIAL, regionsFromLabelmap, syntheticCase, type GridSpec } from '../../src/testing/synthetic-findings';
import { hausdorff95, segmentationAgreement } from '../../src/review/agreement';
import { analyseCorrection } from '../../src/review/correction';
import { readFileSync } from 'node:fs';
import { runTool } from '../helpers/dcmtk';
import { ohifStyleSeg } from './helpers/ohif-seg';
import { writeCase } from '../encoders/helpers/case-files';
import { concept, find, kids, one, type Node } from '../encoders/helpers/sr-tree';

/** Content items anywhere in the tree with this concept name. */
function deep(n: Node, value: string): Node[] {
  return kids(n).flatMap((k) => [...(concept(k).value === value ? [k] : []), ...deep(k, value)]);
}
/** Content items anywhere whose coded value is `value`. */
function deepValue(n: Node, value: string): Node[] {
  return kids(n).flatMap((k) => [...(((k.ConceptCodeSequence as Node[] | undefined)?.[0]?.CodeValue === value) ? [k] : []), ...deepValue(k, value)]);
}

const GRID: GridSpec = { columns: 24, rows: 22, slices: 12, spacing: [1, 1, 2], ...AXIAL, origin: [-12, -11, 0] };
const OPTS: EncoderOptions = { node: { name: 'review-test', version: '0.1.0' }, now: new Date('2026-03-04T05:06:07Z'), pdf: { enabled: false }, keyImages: { enabled: false } };

describe('agreement figures', () => {
  const grid = { dims: [10, 10, 10] as [number, number, number], affine: new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]) };
  const box = (x0: number, x1: number): Uint8Array => {
    const a = new Uint8Array(1000);
    for (let k = 2; k < 8; k++) for (let j = 2; j < 8; j++) for (let i = x0; i < x1; i++) a[i + 10 * (j + 10 * k)] = 1;
    return a;
  };
  test('identical masks: Dice 1, HD95 0, no volume difference', () => {
    const [a] = segmentationAgreement(box(2, 8), box(2, 8), grid, [{ key: 'WT', labelValues: [1] }]);
    expect(a).toMatchObject({ dice: 1, volumeDifferenceMl: 0, hausdorff95Mm: 0 });
  });
  test('a box shifted by 2 voxels (2 mm along x): Dice 4/6, HD95 2 mm, volumes equal', () => {
    const [a] = segmentationAgreement(box(2, 8), box(4, 10), grid, [{ key: 'WT', labelValues: [1] }]);
    expect(a!.dice).toBeCloseTo(2 / 3, 6);
    expect(a!.hausdorff95Mm).toBeCloseTo(2, 6);
    expect(a!.volumeDifferenceMl).toBe(0);
    expect(a!.aiVolumeMl).toBeCloseTo((6 * 6 * 6 * 2) / 1000, 9);
  });
  test('an empty side has no HD95', () => {
    expect(hausdorff95(box(2, 8), [1], new Uint8Array(1000), [1], grid)).toBeNull();
  });
});

describe('review SRs', () => {
  let dir: string;
  let sources: string[];
  let c: ReturnType<typeof syntheticCase>;
  let aiSr: ReviewSrInput['aiSr'];
  let aiSegUid: string;
  let aiSegFile: string;
  let correctedSegFile: string;
  let correctedDs: ReturnType<typeof readP10>['dataset'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'review-sr-'));
    c = syntheticCase({ grid: GRID, key: 'review' });
    ({ sourceFiles: sources } = await writeCase(c, join(dir, 'src')));
    const out = await encodeResults(c.findings, c.header, OPTS);
    const sr = out.objects.find((o) => o.kind === 'sr')!;
    const seg = out.objects.find((o) => o.kind === 'seg')!;
    aiSr = { studyInstanceUid: sr.studyInstanceUid, seriesInstanceUid: sr.seriesInstanceUid, sopClassUid: sr.sopClassUid, sopInstanceUid: sr.sopInstanceUid };
    aiSegUid = seg.sopInstanceUid;
    aiSegFile = join(dir, 'ai-seg.dcm');
    writeFileSync(aiSegFile, seg.bytes);
    // The reviewer removes the oedema on the top two slices and grows the enhancing rim on one slice.
    const lm = c.findings.segmentation!.labelmap;
    const data = new Uint8Array(lm.data);
    const [nx, ny, nz] = lm.dims;
    for (let k = nz - 4; k < nz; k++) for (let v = k * nx * ny; v < (k + 1) * nx * ny; v++) if (data[v] === 2) data[v] = 0;
    const mid = Math.floor(nz / 2) * nx * ny;
    for (let v = mid; v < mid + nx * ny; v++) if (data[v] === 2 && v % 3 === 0) data[v] = 3;
    const fixed = { ...c.findings, model: { ...c.findings.model, version: 'corrected' }, segmentation: { ...c.findings.segmentation!, labelmap: { ...lm, data } } };
    fixed.regions = regionsFromLabelmap(fixed.segmentation.labelmap, fixed.segmentation.segments);
    const corrected = encodeSeg(fixed, c.header, OPTS, outputUids(fixed, OPTS));
    correctedSegFile = join(dir, 'corrected-seg.dcm');
    writeFileSync(correctedSegFile, corrected.bytes);
    correctedDs = readP10(corrected.bytes).dataset;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const reviewSr = (input: ReviewSrInput) => encodeReviewSr(c.findings, c.header, OPTS, input, outputUids(c.findings, OPTS));
  const base = (over: Partial<ReviewSrInput>): ReviewSrInput => ({ decision: 'accepted', reviewerName: 'Reader^Rita', organisation: 'Test Hospital', reviewedAt: new Date('2026-04-01T10:00:00Z'), revision: 1, aiSr, ...over });

  async function validate(bytes: Buffer, name: string, others: string[]): Promise<Node> {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    expect((await dciodvfy(file)).filter((i) => i.severity === 'error')).toEqual([]);
    const dump = await runTool('dsrdump', ['+Pt', file]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toContain('Imaging Measurement Report');
    const report = await checkConformance([file, ...others, ...sources]);
    const errors = report.ok ? '' : formatReport(report);
    expect(errors).toBe('');
    const ds = readP10(bytes).dataset as Node;
    expect(ds.VerificationFlag).toBe('VERIFIED');
    expect((ds.VerifyingObserverSequence as Node[])[0]).toMatchObject({ VerifyingOrganization: 'Test Hospital' });
    const pred = (ds.PredecessorDocumentsSequence as Node[])[0]!;
    expect(((pred.ReferencedSeriesSequence as Node[])[0]!.ReferencedSOPSequence as Node[])[0]!.ReferencedSOPInstanceUID).toBe(aiSr.sopInstanceUid);
    expect(one(ds, '121008', 'DCM').PersonName).toBeDefined();
    return ds;
  }

  test('accepted: the AI measurements, verified; deterministic UIDs', async () => {
    const specs = segmentCatalog(c.findings, false);
    const input = base({ aiSeg: { sopInstanceUid: aiSegUid, segments: specs, emptySegments: [] } });
    const sr = encodeReviewSr(c.findings, c.header, OPTS, input, outputUids(c.findings, OPTS));
    const ds = await validate(sr.bytes, 'accepted.dcm', [aiSegFile]);
    expect(sr.sopInstanceUid).not.toBe(aiSr.sopInstanceUid);
    expect(encodeReviewSr(c.findings, c.header, OPTS, input, outputUids(c.findings, OPTS)).sopInstanceUid).toBe(sr.sopInstanceUid);
    expect(deepValue(ds, 'REV-ACCEPT')).toHaveLength(1);
    expect(deep(ds, '118565006').length).toBeGreaterThan(0); // volumes kept
  });

  test('corrected: volumes from the corrected SEG, agreement figures, references the corrected SEG', async () => {
    const a = analyseCorrection(c.findings, correctedDs);
    expect(a.mapping.map((m) => m.matchedBy)).toEqual(['type', 'type', 'type']);
    const wt = a.agreement.find((x) => x.key === 'WT')!;
    expect(wt.dice).toBeLessThan(1);
    expect(wt.dice).toBeGreaterThan(0.5);
    expect(wt.volumeDifferenceMl).toBeLessThan(0);
    const sr = reviewSr(base({
      decision: 'corrected',
      revision: 2,
      corrected: { seg: { studyInstanceUid: aiSr.studyInstanceUid, seriesInstanceUid: String(correctedDs.SeriesInstanceUID), sopClassUid: String(correctedDs.SOPClassUID), sopInstanceUid: String(correctedDs.SOPInstanceUID) }, segments: a.segments, emptySegments: a.emptySegments, regions: a.regions, bidimensional: a.bidimensional, agreement: a.agreement },
    }));
    const ds = await validate(sr.bytes, 'corrected.dcm', [correctedSegFile]);
    expect(deep(ds, 'AGR-DICE')).toHaveLength(a.agreement.length);
    expect(deep(ds, 'AGR-HD95').length).toBeGreaterThan(0);
    expect(deepValue(ds, 'REV-CORRECT')).toHaveLength(1);
    const dice = deep(ds, 'AGR-DICE').map((n) => Number(((n.MeasuredValueSequence as Node[])[0]!.NumericValue)));
    expect(dice).toContain(Math.round(wt.dice * 1e4) / 1e4);
  });

  test('an OHIF-style SEG (dcmjs Cornerstone adapter) decodes onto the AI grid: identical labels give Dice 1', async () => {
    const ref = c.findings.referenceSeries;
    const lm = c.findings.segmentation!.labelmap;
    const files = ref.sources.map((s) => sources.find((f) => readP10(readFileSync(f), { headerOnly: true }).dataset.SOPInstanceUID === s.sopInstanceUid)!);
    const seg = await ohifStyleSeg(files.map((f) => readFileSync(f)), lm.data, lm.dims[0] * lm.dims[1], c.findings.segmentation!.segments);
    const a = analyseCorrection(c.findings, readP10(seg).dataset);
    expect(a.mapping).toHaveLength(3);
    for (const r of a.agreement) expect(r.dice).toBe(1);
  });

  test('rejected: no measurements, the coded reason and the text', async () => {
    const sr = reviewSr(base({ decision: 'rejected', reason: { code: 'wrong-series', meaning: 'Wrong or unsuitable input series', text: 'FLAIR was a localiser' } }));
    const ds = await validate(sr.bytes, 'rejected.dcm', []);
    expect(find(ds, '126010', 'DCM')).toEqual([]);
    expect(deepValue(ds, 'REV-REJECT')).toHaveLength(1);
    expect(deep(ds, '118565006')).toEqual([]);
    expect(JSON.stringify(ds)).toContain('FLAIR was a localiser');
    expect(ds.SeriesDescription).toMatch(/REJECTED/);
  });
});
