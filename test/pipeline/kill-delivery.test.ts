/**
 * kill -9 during delivery: the real built node delivers a study's SEG and SR by STOW-RS to a
 * real Orthanc. Orthanc is paused (SIGSTOP) so that the delivery is held in flight, the node is killed (SIGKILL)
 * in the middle of it, Orthanc resumes (SIGCONT) and takes in what the dead node had sent, and the node restarts:
 * the job resumes at delivering, sends again, and the PACS ends with exactly one SEG and one SR (deterministic
 * UIDs make the re-send idempotent).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { submitStudy } from '../../src/testing/latency-probe';
import { synthesiseStudy } from '../../src/synth/study';
import { ensureBuilt } from '../helpers/build';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { kill9, spawnNode, type ChildNode } from '../web/child-node';

const TINY_MODEL = resolve(__dirname, '..', 'fixtures', 'models', 'tiny-glioma');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface JobView {
  state: string;
  runs: Array<{ stage: string; status: string; attempt: number }>;
}

describe('kill -9 during delivery', () => {
  let dir: string;
  let pacs: OrthancPeer | undefined;
  let child: ChildNode | undefined;
  beforeAll(async () => {
    await ensureBuilt();
  }, 300000);
  afterAll(async () => {
    if (child) await kill9(child);
    if (pacs) {
      process.kill(pacs.pid, 'SIGCONT');
      await pacs.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('after a restart, the PACS holds exactly one SEG and one SR for the study', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kill-delivery-'));
    mkdirSync(join(dir, 'models'));
    symlinkSync(TINY_MODEL, join(dir, 'models', 'tiny-glioma'));
    pacs = await startOrthanc();
    const cfg = join(dir, 'node.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        node: { dataDir: join(dir, 'var') },
        http: { host: '127.0.0.1', port: 0 },
        dimse: { enabled: false },
        study: { quietPeriodSeconds: 3600 },
        models: { dir: join(dir, 'models'), routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
        destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
        delivery: { to: ['pacs'], initialBackoffSeconds: 0.2 },
      }),
    );
    const job = async (url: string, id: number): Promise<JobView> => (await (await fetch(`${url}/api/jobs/${id}`)).json()) as JobView;
    child = await spawnNode((_d, cli) => [cli, '--config', cfg, 'serve'], { LOG_LEVEL: 'warn' });
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'kill-delivery', vendor: 'siemens', size: 'small', distractors: 'none' });
    const studyUid = study.study.studyInstanceUid;
    const resultsInPacs = async (): Promise<string[]> => {
      const found = await pacs!.rest<Array<{ MainDicomTags: { Modality: string }; Instances: string[] }>>('POST', '/tools/find', { Level: 'Series', Query: { StudyInstanceUID: studyUid }, Expand: true });
      return found.flatMap((s) => s.Instances.map(() => s.MainDicomTags.Modality)).sort();
    };

    // The PACS stops answering before the node gets to deliver: the delivery hangs in flight.
    process.kill(pacs.pid, 'SIGSTOP');
    const jobId = await submitStudy(child.httpUrl, study.files.map((f) => f.buffer), studyUid);
    const url = child.httpUrl;
    await waitFor(async () => (await job(url, jobId)).state === 'delivering', 120_000, 'the job to reach delivering');
    await sleep(1500); // the STOW-RS request is written and waiting for the paused PACS
    await kill9(child);
    child = undefined;
    process.kill(pacs.pid, 'SIGCONT');
    // Orthanc takes in the request the dead node had sent (whole: it was in the socket buffer).
    await waitFor(async () => (await resultsInPacs()).length >= 2, 30_000, 'Orthanc to process the interrupted request');
    expect(await resultsInPacs()).toEqual(['SEG', 'SR']);

    child = await spawnNode((_d, cli) => [cli, '--config', cfg, 'serve'], { LOG_LEVEL: 'warn' });
    const url2 = child.httpUrl;
    let view: JobView = { state: '', runs: [] };
    await waitFor(async () => ['done', 'failed'].includes((view = await job(url2, jobId)).state), 120_000, 'the resumed job to finish');
    expect(view.state).toBe('done');
    // It resumed at delivering and sent again (the first attempt's confirmation died with the process).
    expect(view.runs.map((r) => `${r.stage}:${r.status}`)).toEqual([
      'identifying:ok',
      'preprocessing:ok',
      'inferring:ok',
      'encoding:ok',
      'delivering:interrupted',
      'delivering:ok',
    ]);
    expect(await resultsInPacs()).toEqual(['SEG', 'SR']);
  }, 400_000);
});
