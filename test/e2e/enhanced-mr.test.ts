/** @jest-environment ./test/ai/ort-environment.js */
/**
 * End to end with an Enhanced MR (multi-frame) T1ce as the display series: STOW-RS in, SEG + SR + key images out to
 * a real Orthanc. Every reference into the multi-frame source is checked against its frames:
 *   - each SEG frame names the T1ce instance and a ReferencedFrameNumber whose PlanePosition equals the SEG frame's;
 *   - the SR's IMAGE references into the T1ce use frame numbers that exist, and the RANO lines are drawn on the
 *     frame where the SEG (decoded independently) gives the largest product of diameters;
 *   - the key images' SourceImageSequence names frames that hold tumour.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { SopClass } from '../../src/dicom/constants';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import { synthesiseStudy, type SynthStudy } from '../../src/synth/study';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import { decodeSeg, frameSlices, segmentMask } from '../../src/encoders/seg/seg-decoder';
import { bidimensional } from '../../src/ai/bidimensional';
import { checkConformance } from '../../conformance/check';
import type { JobRecord } from '../../src/jobs/types';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';
import { allItems } from '../helpers/tumour-free-sr';
import { concept, kids, type Node } from '../encoders/helpers/sr-tree';

type Item = Record<string, unknown>;
const items = (v: unknown): Item[] => (Array.isArray(v) ? (v as Item[]) : []);

async function jobsOf(node: PipelineNode): Promise<JobRecord[]> {
  return ((await (await fetch(`${node.httpUrl}/api/jobs`)).json()) as { jobs: JobRecord[] }).jobs;
}

describe('end to end: an Enhanced MR (multi-frame) T1ce display series, every frame reference checked', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;
  let study: SynthStudy;
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-enh-'));

  beforeAll(async () => {
    pacs = await startOrthanc();
    const config = parseConfig({
      node: { dataDir },
      http: { port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 1 },
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'], initialBackoffSeconds: 0.1, secondaryCapture: true },
    });
    node = await startPipelineNode(config);
    study = await synthesiseStudy({ tumor: 'gbm', seed: 'e2e-enhanced-1', vendor: 'siemens', size: 'small', distractors: 'none', multiframe: 'always', transferSyntax: 'explicit' });
    const statuses = await stow(node.dicomwebUrl, study.files.map((f) => f.buffer));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  it('SEG ReferencedFrameNumber, SR image references and key-image sources all point at the right T1ce frames', async () => {
    await waitFor(async () => (await jobsOf(node)).some((j) => j.state === 'done' || j.state === 'failed'), 240_000, 'the job to finish');
    const job = (await jobsOf(node)).find((j) => j.studyInstanceUid === study.study.studyInstanceUid)!;
    expect(job.lastError).toBeUndefined();
    expect(job.state).toBe('done');

    // The source: one Enhanced MR instance holding every T1ce slice as a frame.
    const t1ceSeries = study.series.find((s) => s.role === 't1ce')!;
    expect(t1ceSeries.sopClassUid).toBe(SopClass.EnhancedMRImage);
    const t1ceFiles = study.files.filter((f) => readP10(f.buffer, { headerOnly: true }).dataset.SeriesInstanceUID === t1ceSeries.seriesInstanceUid);
    expect(t1ceFiles).toHaveLength(1);
    const source = readP10(t1ceFiles[0]!.buffer).dataset;
    const sourceUid = String(source.SOPInstanceUID);
    const nFrames = Number(source.NumberOfFrames);
    expect(nFrames).toBeGreaterThan(1);
    const { volume } = await buildSeriesVolume([t1ceFiles[0]!.buffer]);
    expect(volume.sources.every((s) => s.sopInstanceUid === sourceUid && s.frameNumber! >= 1 && s.frameNumber! <= nFrames)).toBe(true);

    // The outputs, as the PACS holds them.
    const series = await pacs.rest<Array<{ MainDicomTags: { Modality: string; SeriesInstanceUID: string }; Instances: string[] }>>('GET', `/series?expand`);
    const dir = mkdtempSync(join(tmpdir(), 'e2e-enh-out-'));
    const fetched = async (modality: string): Promise<Array<{ path: string; ds: NaturalDataset }>> => {
      const out: Array<{ path: string; ds: NaturalDataset }> = [];
      for (const id of series.filter((s) => s.MainDicomTags.Modality === modality).flatMap((s) => s.Instances)) {
        const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
        const path = join(dir, `${modality}-${out.length}.dcm`);
        writeFileSync(path, bytes);
        out.push({ path, ds: readP10(bytes).dataset });
      }
      return out;
    };
    const [seg] = await fetched('SEG');
    const [sr] = await fetched('SR');
    const scs = (await fetched('OT')).filter((o) => o.ds.SOPClassUID === SopClass.SecondaryCapture);
    expect(seg && sr).toBeTruthy();
    expect(scs.length).toBeGreaterThan(0);

    // SEG: every frame derives from a T1ce frame, and lies exactly where that frame lies.
    const decoded = decodeSeg(seg!.ds);
    expect(decoded.frames.length).toBeGreaterThan(0);
    for (const f of decoded.frames) {
      expect(f.source?.sopInstanceUid).toBe(sourceUid);
      expect(f.source?.frameNumber).toBeGreaterThanOrEqual(1);
      expect(f.source?.frameNumber).toBeLessThanOrEqual(nFrames);
      const pf = items(source.PerFrameFunctionalGroupsSequence)[f.source!.frameNumber! - 1]!;
      const ipp = (items(pf.PlanePositionSequence)[0]!.ImagePositionPatient as number[]).map(Number);
      ipp.forEach((x, a) => expect(Math.abs(x - f.ipp![a]!)).toBeLessThan(0.01));
    }
    frameSlices(decoded, volume.sources); // throws when a frame's reference and position disagree

    // SR: every IMAGE reference into the T1ce names existing frames; the evidence lists the instance.
    const tree = allItems(sr!.ds);
    const refs = tree.filter((i) => i.ValueType === 'IMAGE').flatMap((i) => items(i.ReferencedSOPSequence)).filter((r) => r.ReferencedSOPInstanceUID === sourceUid);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) for (const n of [r.ReferencedFrameNumber ?? []].flat().map(Number)) expect(n >= 1 && n <= nFrames).toBe(true);
    const evidence = items(sr!.ds.CurrentRequestedProcedureEvidenceSequence).flatMap((s) => items(s.ReferencedSeriesSequence)).flatMap((s) => items(s.ReferencedSOPSequence));
    expect(evidence.some((e) => e.ReferencedSOPInstanceUID === sourceUid)).toBe(true);

    // The RANO lines: on the frame where the SEG itself gives the largest product of diameters.
    // They sit in the group of the segment they measure (ET, else GTV), or, for a whole-tumour measurement, among
    // the derived measurements (docs/outputs.md, Reader rules).
    const valued = (k: Node): boolean => ['103339001', '103340004'].includes(concept(k).value) && items(k.MeasuredValueSequence).length > 0;
    const holder = tree.find((i) => i.ValueType === 'CONTAINER' && kids(i).some(valued))!;
    expect(holder).toBeDefined();
    const tracking = kids(holder).find((k) => concept(k).value === '112039');
    const region = tracking ? String(tracking.TextValue).split(' - ')[0]! : 'WT';
    const scoords = kids(holder).filter(valued).flatMap((k) => kids(k).filter((c) => c.ValueType === 'SCOORD'));
    expect(scoords).toHaveLength(2);
    const frames = scoords.map((s) => {
      const ref = items(kids(s)[0]!.ReferencedSOPSequence)[0]!;
      expect(ref.ReferencedSOPInstanceUID).toBe(sourceUid);
      return Number([ref.ReferencedFrameNumber].flat()[0]);
    });
    const segNumbers = items(seg!.ds.SegmentSequence)
      .filter((s) => region === 'WT' || s.TrackingID === region || String(s.TrackingID).startsWith(`${region} `))
      .map((s) => Number(s.SegmentNumber));
    expect(segNumbers.length).toBeGreaterThan(0);
    const mask = new Uint8Array(volume.data.length);
    for (const n of segNumbers) segmentMask(decoded, n, volume.sources).forEach((v, i) => (mask[i] ||= v));
    const expected = bidimensional(mask, volume.dims, volume.affine, [1])!;
    expect(frames).toEqual([volume.sources[expected.slice]!.frameNumber, volume.sources[expected.slice]!.frameNumber]);

    // Key images: each names a T1ce frame that holds tumour (any segment).
    const frameSize = volume.dims[0] * volume.dims[1];
    const tumour = new Uint8Array(volume.data.length);
    for (const s of decoded.segments) segmentMask(decoded, s.number, volume.sources).forEach((v, i) => (tumour[i] ||= v));
    for (const sc of scs) {
      const src = items(sc.ds.SourceImageSequence)[0]!;
      expect(src.ReferencedSOPInstanceUID).toBe(sourceUid);
      const k = volume.sources.findIndex((s) => s.frameNumber === Number(src.ReferencedFrameNumber));
      expect(k).toBeGreaterThanOrEqual(0);
      expect(tumour.subarray(k * frameSize, (k + 1) * frameSize).some((v) => v)).toBe(true);
    }

    const report = await checkConformance([seg!.path, sr!.path, ...scs.map((s) => s.path)]);
    expect(report.errors).toBe(0);
  });
});
