/**
 * A receiver killed with SIGKILL while its worker runs a job loses nothing: restarted on the same data folder and
 * address, it finds its job record, the dispatch and the reports already stored, the worker's later reports (retried
 * while the receiver was down) arrive, and the study ends done with one SEG and one SR in the PACS. Real processes:
 * redis-server, Orthanc, `serve --role receiver|worker`.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema';
import type { JobRecord } from '../../src/jobs/types';
import { synthesiseStudy } from '../../src/synth/study';
import { serve, stopProc, type Proc } from '../helpers/cluster';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { freePort, waitFor } from '../helpers/ports';
import { startRedis, type TestRedis } from '../helpers/redis';
import { stow } from '../helpers/stow';

describe('cluster: receiver restart', () => {
  let redis: TestRedis;
  let pacs: OrthancPeer;
  let receiver: Proc | undefined;
  let worker: Proc | undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'recv-restart-'));
  let receiverConfig = '';
  let url = '';

  beforeAll(async () => {
    const models = join(tmp, 'models');
    mkdirSync(models);
    symlinkSync(join(__dirname, '../fixtures/models/tiny-glioma'), join(models, 'tiny-glioma'));
    [redis, pacs] = await Promise.all([startRedis(), startOrthanc()]);
    const port = await freePort(); // fixed: the worker reports to the address the job was queued with
    const base: ConfigInput = {
      http: { port },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 2 },
      models: { dir: models, routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
      pipeline: { workers: 1 },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'], initialBackoffSeconds: 0.2 },
      cluster: { redisUrl: redis.url, queuePrefix: 'restart', lockSeconds: 5 },
    };
    receiverConfig = join(tmp, 'receiver.yaml');
    writeFileSync(receiverConfig, JSON.stringify({ ...base, node: { dataDir: join(tmp, 'receiver'), name: 'recv' } }));
    const workerConfig = join(tmp, 'worker.yaml');
    writeFileSync(workerConfig, JSON.stringify({ ...base, node: { dataDir: join(tmp, 'worker') }, cluster: { ...base.cluster, worker: { name: 'w1' } } }));
    receiver = await serve('receiver', receiverConfig);
    url = receiver.ready.http as string;
    worker = await serve('worker', workerConfig);
  }, 300_000);

  afterAll(async () => {
    await stopProc(worker);
    await stopProc(receiver);
    await Promise.all([redis?.stop(), pacs?.stop()]);
  });

  it('keeps the job through a kill -9 of the receiver mid-job and finishes it after the restart', async () => {
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'recv-restart', vendor: 'siemens', size: 'small', distractors: 'none' });
    const uid = study.study.studyInstanceUid;
    expect((await stow(`${url}/dicom-web`, study.files.map((f) => f.buffer))).every((s) => s === 200)).toBe(true);
    const job = async (): Promise<JobRecord | undefined> => ((await (await fetch(`${url}/api/jobs?study=${uid}`)).json()) as { jobs: JobRecord[] }).jobs[0];
    // Kill once the worker has reported a stage (so reports are stored) but before the job is done.
    await waitFor(async () => ['preprocessing', 'inferring', 'encoding'].includes((await job())?.state ?? ''), 180_000, 'the job to be past identification');
    const before = (await job())!;
    await stopProc(receiver, 'SIGKILL');
    receiver = await serve('receiver', receiverConfig);
    expect(receiver.ready.http).toBe(url);
    await waitFor(async () => ['done', 'failed'].includes((await job())?.state ?? ''), 240_000, 'the job to finish after the restart');
    const after = (await job())!;
    expect(after.id).toBe(before.id);
    expect(after.state).toBe('done');
    const series = await pacs.rest<Array<{ MainDicomTags: { Modality: string }; Instances: string[] }>>('GET', '/series?expand');
    expect(series.filter((s) => s.MainDicomTags.Modality === 'SEG').flatMap((s) => s.Instances)).toHaveLength(1);
    expect(series.filter((s) => s.MainDicomTags.Modality === 'SR').flatMap((s) => s.Instances)).toHaveLength(1);
  }, 600_000);
});
