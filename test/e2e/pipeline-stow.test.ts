/** @jest-environment ./test/ai/ort-environment.js */
/**
 * End to end through the real parts: a synthetic study is STOWed to the node, which waits for the study to be
 * complete, identifies the series, runs the model, encodes SEG + SR and delivers them by STOW-RS to a real
 * Orthanc (the PACS); the objects read back from Orthanc pass dciodvfy and our structural checks.
 * Mechanics test with the tiny test model; the accuracy test with the trained model is in e2e/accuracy.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { SopClass } from '../../src/dicom/constants';
import { synthesiseStudy } from '../../src/synth/study';
import { checkConformance } from '../../conformance/check';
import type { JobRecord } from '../../src/jobs/types';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';

async function jobsOf(node: PipelineNode): Promise<JobRecord[]> {
  return ((await (await fetch(`${node.httpUrl}/api/jobs`)).json()) as { jobs: JobRecord[] }).jobs;
}

describe('end to end: STOW-RS in, SEG + SR out to a real Orthanc', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;
  let studyUid: string;
  let patient: { name: string; id: string };
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-'));

  beforeAll(async () => {
    pacs = await startOrthanc();
    const config = parseConfig({
      node: { dataDir },
      http: { port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 1 },
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'], initialBackoffSeconds: 0.1 },
    });
    node = await startPipelineNode(config);
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'e2e-1', vendor: 'siemens', size: 'small', distractors: 'all' });
    studyUid = study.study.studyInstanceUid;
    patient = study.patient;
    const statuses = await stow(node.dicomwebUrl, study.files.map((f) => f.buffer));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  it('processes the study to done and the PACS holds a valid SEG and SR in the same study', async () => {
    await waitFor(async () => (await jobsOf(node)).some((j) => j.state === 'done' || j.state === 'failed'), 240_000, 'the job to finish');
    const job = (await jobsOf(node)).find((j) => j.studyInstanceUid === studyUid)!;
    expect(job.lastError).toBeUndefined();
    expect(job.state).toBe('done');

    const series = await pacs.rest<Array<{ MainDicomTags: { Modality: string }; Instances: string[] }>>('GET', `/series?expand`);
    const seg = series.find((s) => s.MainDicomTags.Modality === 'SEG');
    const sr = series.find((s) => s.MainDicomTags.Modality === 'SR');
    expect(seg).toBeDefined();
    expect(sr).toBeDefined();

    const dir = mkdtempSync(join(tmpdir(), 'e2e-out-'));
    const files: string[] = [];
    for (const [name, s] of [['seg', seg!], ['sr', sr!]] as const) {
      const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${s.Instances[0]}/file`)).arrayBuffer());
      const path = join(dir, `${name}.dcm`);
      writeFileSync(path, bytes);
      files.push(path);
    }
    const report = await checkConformance(files);
    expect(report.errors).toBe(0);
    expect(report.ok).toBe(true);
    // Same study, and the SR says what it is.
    const srText = readFileSync(files[1]!).toString('latin1');
    expect(srText).toContain(studyUid);
    expect(srText).toMatch(/RESEARCH USE ONLY/i);
    const tags = await pacs.rest<Record<string, { Value: string }>>('GET', `/instances/${sr!.Instances[0]}/simplified-tags`);
    expect((tags as unknown as Record<string, string>).SOPClassUID).toBe(SopClass.ComprehensiveSR);
    // The results are filed under the same patient as the images (patient module copied from the source).
    for (const s of [seg!, sr!]) {
      const t = await pacs.rest<Record<string, string>>('GET', `/instances/${s.Instances[0]}/simplified-tags`);
      expect([t.PatientName, t.PatientID, t.StudyInstanceUID]).toEqual([patient.name, patient.id, studyUid]);
    }
  });
});
