/**
 * Which incoming SEGs are corrections (src/review/service.ts isCorrection, src/study/tracker.ts isReviewInput), on a
 * real node over STOW-RS: a viewer's SEG on the source series of one of our delivered SEGs is stored but opens no
 * new generation (so starts no job); our own SEG coming back is not a correction; a viewer's SEG on a series we
 * never segmented is an ordinary new instance and does open a generation (the control that shows the test can fail).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readP10 } from '../../src/dicom/p10';
import { encodeResults, outputUids } from '../../src/encoders';
import type { EncoderOptions } from '../../src/encoders/options';
import { encodeSeg } from '../../src/encoders/seg/seg-encoder';
import { AXIAL, syntheticCase } from '../../src/testing/synthetic-findings';
import { writeCase } from '../encoders/helpers/case-files';
import { stow } from '../helpers/stow';
import { startTestNode, type TestNode } from '../web/node-fixture';

const OPTS: EncoderOptions = { node: { name: 'detect', version: '0.1.0' }, pdf: { enabled: false }, keyImages: { enabled: false } };

describe('correction detection on a real node', () => {
  let node: TestNode;
  const dir = mkdtempSync(join(tmpdir(), 'detect-'));
  afterAll(async () => {
    await node?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a viewer SEG on our SEG\'s source series opens no generation; our own SEG is not a correction; another series does', async () => {
    node = await startTestNode({}, { runJobs: false });
    const c = syntheticCase({ grid: { columns: 16, rows: 14, slices: 8, spacing: [1, 1, 2], ...AXIAL, origin: [-8, -7, 0] }, key: 'detect' });
    const { sourceFiles } = await writeCase(c, join(dir, 'src'));
    const studyUid = c.findings.studyInstanceUid;
    expect((await stow(node.dicomwebUrl, sourceFiles.map((f) => readFileSync(f)))).every((s) => s === 200)).toBe(true);
    node.studies.markReady(studyUid);
    const generation = node.studies.get(studyUid)!.generation;

    const ai = (await encodeResults(c.findings, c.header, OPTS)).objects;
    const aiSeg = ai.find((o) => o.kind === 'seg')!;
    const aiSr = ai.find((o) => o.kind === 'sr')!;
    node.review.reviews.registerResult(
      { jobId: 1, model: 'glioma-mtl', modelVersion: '1.2.0', studyInstanceUid: studyUid, sourceSeriesUid: c.findings.referenceSeries.seriesInstanceUid, segInstanceUid: aiSeg.sopInstanceUid, srInstanceUid: aiSr.sopInstanceUid, srSeriesUid: aiSr.seriesInstanceUid },
      Date.now(),
    );
    // A viewer's SEG: same source series, another manufacturer and UIDs (as OHIF or Slicer store it).
    const viewer = (key: string, findings = c.findings): Buffer => {
      const f = { ...findings, model: { ...findings.model, version: key } };
      const ds = readP10(encodeSeg(f, c.header, OPTS, outputUids(f, OPTS)).bytes).dataset;
      expect(ds.Manufacturer).not.toBe('Viewer');
      return encodeSeg(f, c.header, { ...OPTS, node: { ...OPTS.node, manufacturer: 'Viewer' } }, outputUids(f, { ...OPTS, node: { ...OPTS.node, manufacturer: 'Viewer' } })).bytes;
    };
    const correction = viewer('corrected');
    const correctionUid = String(readP10(correction).dataset.SOPInstanceUID);
    expect(await stow(node.dicomwebUrl, [aiSeg.bytes, correction])).toEqual([200]);
    expect(node.store.getInstance(correctionUid)).toBeDefined();
    expect(node.review.isCorrection({ sopInstanceUid: correctionUid, sopClassUid: aiSeg.sopClassUid })).toBe(true);
    expect(node.review.isCorrection({ sopInstanceUid: aiSeg.sopInstanceUid, sopClassUid: aiSeg.sopClassUid })).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(node.studies.get(studyUid)!.generation).toBe(generation);
    await node.review.idle();

    // Control: a viewer SEG of a series we never segmented (the FLAIR) is new input and opens a generation.
    const flair = c.series.find((s) => s.role === 'flair')!.volume;
    const other = viewer('other-series', { ...c.findings, referenceSeries: flair, segmentation: { ...c.findings.segmentation!, labelmap: { ...c.findings.segmentation!.labelmap } } });
    expect(readP10(other).dataset.ReferencedSeriesSequence).toBeDefined();
    expect(await stow(node.dicomwebUrl, [other])).toEqual([200]);
    await new Promise((r) => setTimeout(r, 200));
    expect(node.studies.get(studyUid)!.generation).toBe(generation + 1);
  });
});
