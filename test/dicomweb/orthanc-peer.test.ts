/**
 * "Automatic routing from PACS": a real Orthanc (+ DICOMweb plugin) configured with this node as a DICOMweb
 * server pushes a study to it with STOW-RS, queries it (QIDO-RS) and pulls a study back (WADO-RS).
 */
import { createHash } from 'node:crypto';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { startTestNode, type TestNode } from '../web/node-fixture';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('Orthanc as a DICOMweb client of the node', () => {
  let node: TestNode;
  let pacs: OrthancPeer;
  beforeAll(async () => {
    node = await startTestNode({ study: { quietPeriodSeconds: 1 } });
    pacs = await startOrthanc({ dicomWebServers: { neuro: { Url: `${node.dicomwebUrl}/` } } });
  });
  afterAll(async () => {
    await pacs?.stop();
    await node?.destroy();
  });

  it('pushes a study with /dicom-web/servers/{name}/stow: every instance indexed byte for byte, study becomes ready', async () => {
    const insts = syntheticMrStudy({ seed: 'orthanc-push', series: 3, slicesPerSeries: 8, rows: 32, columns: 32 });
    let orthancStudy = '';
    for (const i of insts) {
      const r = await pacs.rest<{ ParentStudy: string }>('POST', '/instances', i.bytes);
      orthancStudy = r.ParentStudy;
    }
    await pacs.rest('POST', '/dicom-web/servers/neuro/stow', { Resources: [orthancStudy], Synchronous: true });
    const study = insts[0]!.studyInstanceUid;
    const stored = node.store.listInstances({ studyInstanceUid: study });
    expect(stored).toHaveLength(insts.length);
    // Orthanc sends the files it stored; they are the bytes we uploaded to it.
    const bySop = new Map(insts.map((i) => [i.sopInstanceUid, sha(i.bytes)]));
    for (const r of stored) expect(r.sha256).toBe(bySop.get(r.sopInstanceUid));
    expect(stored.every((r) => r.source === 'stow' && r.remoteAddress?.includes('127.0.0.1'))).toBe(true);
    // The quiet period elapses: the study is ready and has a job.
    for (let i = 0; i < 100 && node.studies.get(study)?.state !== 'ready'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(node.studies.get(study)?.state).toBe('ready');
    expect(node.jobs.list({ studyUid: study })).toHaveLength(1);
  });

  it('queries the node through Orthanc (QIDO-RS) and pulls a study into Orthanc (WADO-RS)', async () => {
    const insts = syntheticMrStudy({ seed: 'orthanc-pull', series: 2, slicesPerSeries: 4 });
    const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('o') }, body: multipartRelated(insts.map((i) => i.bytes), 'o') });
    expect(r.status).toBe(200);
    const study = insts[0]!.studyInstanceUid;
    const qido = await pacs.rest<Array<Record<string, { Value?: unknown[] }>>>('POST', '/dicom-web/servers/neuro/get', { Uri: '/studies', Arguments: { StudyInstanceUID: study } });
    expect(qido).toHaveLength(1);
    expect(qido[0]!['00201208']!.Value).toEqual([8]);
    await pacs.rest('POST', '/dicom-web/servers/neuro/retrieve', { Resources: [{ Study: study }], Synchronous: true });
    const found = await pacs.rest<Array<{ MainDicomTags: { SOPInstanceUID: string }; ID: string }>>('POST', '/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: study }, Expand: true });
    expect(found.map((f) => f.MainDicomTags.SOPInstanceUID).sort()).toEqual(insts.map((i) => i.sopInstanceUid).sort());
    const file = await fetch(`${pacs.url}/instances/${found[0]!.ID}/file`);
    const original = insts.find((i) => i.sopInstanceUid === found[0]!.MainDicomTags.SOPInstanceUID)!;
    expect(sha(new Uint8Array(await file.arrayBuffer()))).toBe(sha(original.bytes));
  });
});
