/**
 * QIDO-RS and WADO-RS over the store, exercised with the real `dicomweb-client` package (as OHIF and other web
 * viewers use it) and with plain HTTP for the status codes.
 */
import { createHash } from 'node:crypto';
import { api as dicomweb } from 'dicomweb-client';
import XHR from 'xhr2';
import { multipartContentType, multipartRelated, syntheticMrStudy, type SyntheticInstance } from '../../src/testing/synthetic-mr';
import { MultipartRelatedParser } from '../../src/dicomweb/multipart';
import { readP10 } from '../../src/dicom/p10';
import { startTestNode, type TestNode } from '../web/node-fixture';

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const v = (ds: Json, tag: string): unknown => ds[tag]?.Value?.[0];

/** Splits a multipart/related response into part bodies with the node's own parser. */
function parts(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)![2]!;
  const p = new MultipartRelatedParser(boundary);
  const out: Buffer[] = [];
  let cur: Buffer[] = [];
  for (const e of [...p.push(body), ...p.end()]) {
    if (e.kind === 'part-start') cur = [];
    else if (e.kind === 'part-data') cur.push(e.data);
    else out.push(Buffer.concat(cur));
  }
  return out;
}

describe('QIDO-RS and WADO-RS', () => {
  let node: TestNode;
  let brain: SyntheticInstance[];
  let other: SyntheticInstance[];
  // dicomweb-client's typings mark every option required; the calls below use its documented defaults.
  let client: Record<string, (options?: Record<string, unknown>) => Promise<unknown>>;

  beforeAll(async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = XHR;
    node = await startTestNode();
    brain = syntheticMrStudy({ seed: 'qido-brain', series: 2, slicesPerSeries: 3, rows: 8, columns: 8 });
    other = syntheticMrStudy({ seed: 'qido-other', series: 1, slicesPerSeries: 2, patientName: 'OTHER^PERSON', patientId: 'SYN-0002', studyDate: '20230615' });
    for (const set of [brain, other]) {
      const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('q') }, body: multipartRelated(set.map((i) => i.bytes), 'q') });
      expect(r.status).toBe(200);
    }
    client = new dicomweb.DICOMwebClient({ url: node.dicomwebUrl, singlepart: false, verbose: false }) as unknown as typeof client;
  });
  afterAll(async () => {
    delete (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
    await node?.destroy();
  });

  it('dicomweb-client searches studies, series and instances with filters', async () => {
    const all = (await client.searchForStudies!()) as Json[];
    expect(all).toHaveLength(2);
    const found = (await client.searchForStudies!({ queryParams: { PatientName: 'synthetic*' } })) as Json[];
    expect(found.map((s) => v(s, '0020000D'))).toEqual([brain[0]!.studyInstanceUid]);
    expect(v(found[0]!, '00100010')).toEqual({ Alphabetic: 'SYNTHETIC^PATIENT' });
    expect(found[0]!['00080061']!.Value).toEqual(['MR']);
    expect(v(found[0]!, '00201206')).toBe(2);
    expect(v(found[0]!, '00201208')).toBe(6);
    expect(v(found[0]!, '00081190')).toBe(`${node.dicomwebUrl}/studies/${brain[0]!.studyInstanceUid}`);
    const byDate = (await client.searchForStudies!({ queryParams: { StudyDate: '20230101-20231231' } })) as Json[];
    expect(byDate.map((s) => v(s, '0020000D'))).toEqual([other[0]!.studyInstanceUid]);
    const series = (await client.searchForSeries!({ studyInstanceUID: brain[0]!.studyInstanceUid })) as Json[];
    expect(series.map((s) => [v(s, '00200011'), v(s, '0008103E'), v(s, '00201209')])).toEqual([
      [1, 'T1 MPRAGE', 3],
      [2, 'T1 MPRAGE post Gd', 3],
    ]);
    const inst = (await client.searchForInstances!({ studyInstanceUID: brain[0]!.studyInstanceUid, seriesInstanceUID: brain[0]!.seriesInstanceUid })) as Json[];
    expect(inst.map((i) => v(i, '00080018'))).toEqual(brain.slice(0, 3).map((i) => i.sopInstanceUid));
    expect(v(inst[0]!, '00280010')).toBe(8);
  });

  it('dicomweb-client retrieves metadata, instances, frames and Pixel Data bulk data', async () => {
    const b = brain[4]!;
    const meta = (await client.retrieveSeriesMetadata!({ studyInstanceUID: b.studyInstanceUid, seriesInstanceUID: b.seriesInstanceUid })) as Json[];
    expect(meta).toHaveLength(3);
    const m = meta.find((x) => v(x, '00080018') === b.sopInstanceUid)!;
    expect(v(m, '00180081')).toBe(3); // EchoTime, a number in DICOM JSON
    expect(m['00200032']!.Value).toEqual([-4, -4, 1]);
    const bulk = m['7FE00010']!;
    expect(bulk.vr).toBe('OW');
    const retrieved = (await client.retrieveInstance!({ studyInstanceUID: b.studyInstanceUid, seriesInstanceUID: b.seriesInstanceUid, sopInstanceUID: b.sopInstanceUid })) as ArrayBuffer;
    expect(sha(new Uint8Array(retrieved))).toBe(sha(b.bytes));
    const px = (readP10(b.bytes).dataset.PixelData as ArrayBuffer[])[0]!;
    const frames = (await client.retrieveInstanceFrames!({ studyInstanceUID: b.studyInstanceUid, seriesInstanceUID: b.seriesInstanceUid, sopInstanceUID: b.sopInstanceUid, frameNumbers: [1] })) as ArrayBuffer[];
    expect(sha(new Uint8Array(frames[0]!))).toBe(sha(new Uint8Array(px)));
    const bulkData = (await client.retrieveBulkData!({ BulkDataURI: bulk.BulkDataURI! })) as ArrayBuffer[];
    expect(sha(new Uint8Array(bulkData[0]!))).toBe(sha(new Uint8Array(px)));
    const study = (await client.retrieveStudy!({ studyInstanceUID: b.studyInstanceUid })) as ArrayBuffer[];
    expect(study.map((x) => sha(new Uint8Array(x))).sort()).toEqual(brain.map((i) => sha(i.bytes)).sort());
  });

  it('QIDO: limit/offset, includefield, tag keys, UID lists; clear 400s', async () => {
    const q = async (path: string): Promise<{ status: number; body: unknown }> => {
      const r = await fetch(node.dicomwebUrl + path);
      return { status: r.status, body: await r.json() };
    };
    const page1 = (await q('/instances?limit=3&offset=0')).body as Json[];
    const page2 = (await q('/instances?limit=3&offset=3')).body as Json[];
    expect(page1).toHaveLength(3);
    expect(page2).toHaveLength(3);
    expect(new Set([...page1, ...page2].map((i) => v(i, '00080018'))).size).toBe(6);
    const withEcho = (await q(`/studies/${brain[0]!.studyInstanceUid}/series?includefield=00180081,MagneticFieldStrength`)).body as Json[];
    expect(v(withEcho[0]!, '00180081')).toBe(3);
    expect(v(withEcho[0]!, '00180087')).toBe(3);
    const list = (await q(`/studies?StudyInstanceUID=${brain[0]!.studyInstanceUid},${other[0]!.studyInstanceUid}&00100020=SYN-0002`)).body as Json[];
    expect(list.map((s) => v(s, '0020000D'))).toEqual([other[0]!.studyInstanceUid]);
    const mods = (await q('/studies?ModalitiesInStudy=CT')).body as Json[];
    expect(mods).toEqual([]);
    const bad = await q('/studies?StudyDate=yesterday');
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/StudyDate: "yesterday" is not a DICOM date/);
    expect((await q('/studies?EchoTime=3')).status).toBe(400);
    expect((await q('/studies?limit=-1')).status).toBe(400);
    expect((await q('/series?SOPInstanceUID=1.2.3')).status).toBe(400);
  });

  it('WADO: multipart series retrieve matches the sent bytes; 404, 406 and 400 are specific', async () => {
    const b = brain[0]!;
    const r = await fetch(`${node.dicomwebUrl}/studies/${b.studyInstanceUid}/series/${b.seriesInstanceUid}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(r.status).toBe(200);
    const got = parts(Buffer.from(await r.arrayBuffer()), r.headers.get('content-type')!);
    expect(got.map((x) => sha(x)).sort()).toEqual(brain.slice(0, 3).map((i) => sha(i.bytes)).sort());
    const missing = await fetch(`${node.dicomwebUrl}/studies/1.2.3.4/series/1.2.3.5`);
    expect(missing.status).toBe(404);
    const single = await fetch(`${node.dicomwebUrl}/studies/${b.studyInstanceUid}`, { headers: { Accept: 'application/dicom' } });
    expect(single.status).toBe(406);
    const transcode = await fetch(`${node.dicomwebUrl}/studies/${b.studyInstanceUid}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.90' } });
    expect(transcode.status).toBe(406);
    expect(((await transcode.json()) as { error: string }).error).toMatch(/does not transcode/);
    expect((await fetch(`${node.dicomwebUrl}/studies/not..a.uid/metadata`)).status).toBe(400);
    const frameOut = await fetch(`${node.dicomwebUrl}/studies/${b.studyInstanceUid}/series/${b.seriesInstanceUid}/instances/${b.sopInstanceUid}/frames/2`);
    expect(frameOut.status).toBe(404);
  });
});
