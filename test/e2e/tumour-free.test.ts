/** @jest-environment ./test/ai/ort-environment.js */
/**
 * A tumour-free study end to end: STOW-RS in, the node runs the glioma and metastasis test models (whose every
 * component is removed by `minComponentMl`, so nothing is segmented), and a real Orthanc receives a SEG and an SR
 * that says no tumour was detected. The objects read back from Orthanc pass dciodvfy and our structural checks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { checkConformance } from '../../conformance/check';
import type { JobRecord } from '../../src/jobs/types';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';
import { expectTumourFreeSr } from '../helpers/tumour-free-sr';

async function jobsOf(node: PipelineNode): Promise<JobRecord[]> {
  return ((await (await fetch(`${node.httpUrl}/api/jobs`)).json()) as { jobs: JobRecord[] }).jobs;
}

describe('end to end: a tumour-free study, STOW-RS in, SEG + "no tumour detected" SR out to a real Orthanc', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;
  let studyUid: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-free-'));

  beforeAll(async () => {
    pacs = await startOrthanc();
    const config = parseConfig({
      node: { dataDir },
      http: { port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 1 },
      models: {
        dir: 'test/fixtures/models',
        routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }, { model: 'tiny-mets', whenRoles: ['t1ce'] }],
        minComponentMl: 1e6,
        modalityImportance: false,
      },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'], initialBackoffSeconds: 0.1 },
    });
    node = await startPipelineNode(config);
    const study = await synthesiseStudy({ tumor: 'none', seed: 'e2e-free-1', vendor: 'philips', size: 'small', distractors: 'none' });
    studyUid = study.study.studyInstanceUid;
    const statuses = await stow(node.dicomwebUrl, study.files.map((f) => f.buffer));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  it('both models finish, and the PACS holds for each a conformant SEG and an SR saying no tumour was detected', async () => {
    await waitFor(async () => (await jobsOf(node)).some((j) => j.state === 'done' || j.state === 'failed'), 240_000, 'the job to finish');
    const job = (await jobsOf(node)).find((j) => j.studyInstanceUid === studyUid)!;
    expect(job.lastError).toBeUndefined();
    expect(job.state).toBe('done');

    const series = await pacs.rest<Array<{ MainDicomTags: { Modality: string }; Instances: string[] }>>('GET', `/series?expand`);
    const segs = series.filter((s) => s.MainDicomTags.Modality === 'SEG').flatMap((s) => s.Instances);
    const srs = series.filter((s) => s.MainDicomTags.Modality === 'SR').flatMap((s) => s.Instances);
    expect(segs).toHaveLength(2);
    expect(srs).toHaveLength(2);
    const dir = mkdtempSync(join(tmpdir(), 'e2e-free-out-'));
    const files: string[] = [];
    for (const [i, id] of [...segs, ...srs].entries()) {
      const path = join(dir, `${i}.dcm`);
      writeFileSync(path, Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer()));
      files.push(path);
    }
    // tiny-glioma has four heads (IDH, 1p/19q, grade, histology), tiny-mets one (EGFR).
    const heads = files.slice(2).map((sr) => (readFileSync(sr).includes('EGFR') ? 1 : 4));
    files.slice(2).forEach((sr, i) => expectTumourFreeSr(sr, heads[i]!));
    const report = await checkConformance(files);
    expect(report.errors).toBe(0);
  });
});
