/**
 * The distributed mode end to end, all real processes on loopback: a redis-server (AOF on), Orthanc as the PACS, one
 * receiver and two workers (`serve --role receiver|worker` from dist/). 12 small studies arrive by STOW-RS (HTTP user
 * "sender") and C-STORE (storescu, AE MRI1); one worker is killed with SIGKILL while it runs a job's inference; every
 * study still ends done with exactly one SEG and one SR in Orthanc. Then, with jobs queued and no worker, Redis is
 * killed and restarted: a new worker takes every queued job and nothing is lost.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema';
import type { JobRecord } from '../../src/jobs/types';
import { synthesiseStudy } from '../../src/synth/study';
import { newSecret } from '../../src/web/access-control';
import { serve, stopProc, type Proc } from '../helpers/cluster';
import { runTool } from '../helpers/dcmtk';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { freePort, waitFor } from '../helpers/ports';
import { startRedis, type TestRedis } from '../helpers/redis';
import { multipartRelated } from '../helpers/stow';
import { withNewUids } from '../helpers/re-uid';

describe('cluster: one receiver, two workers, Redis; a worker killed mid-inference, Redis restarted', () => {
  let redis: TestRedis;
  let pacs: OrthancPeer;
  let receiver: Proc;
  const workers: Record<string, Proc> = {};
  let baseUrl = '';
  let dimsePort = 0;
  const tmp = mkdtempSync(join(tmpdir(), 'scale-out-'));
  const sender = newSecret();
  const service = newSecret();
  const auth = { authorization: `Basic ${Buffer.from(`sender:${sender.secret}`).toString('base64')}` };
  let base: ConfigInput;

  const api = async <T>(path: string): Promise<T> => (await (await fetch(`${baseUrl}${path}`, { headers: auth })).json()) as T;
  const jobs = async (): Promise<JobRecord[]> => (await api<{ jobs: JobRecord[] }>('/api/jobs?limit=1000')).jobs;
  const writeConfig = (name: string, cfg: ConfigInput): string => {
    const file = join(tmp, `${name}.yaml`);
    writeFileSync(file, JSON.stringify(cfg));
    return file;
  };
  const startWorker = async (name: string): Promise<Proc> => {
    const dataDir = join(tmp, name);
    mkdirSync(dataDir);
    workers[name] = await serve('worker', writeConfig(name, { ...base, node: { dataDir }, cluster: { ...base.cluster, worker: { name, receiverUser: 'worker', receiverSecret: service.secret } } }));
    return workers[name];
  };

  beforeAll(async () => {
    // Only the model this test routes to: each worker loads every package in models.dir.
    const models = join(tmp, 'models');
    mkdirSync(models);
    symlinkSync(join(__dirname, '../fixtures/models/tiny-glioma'), join(models, 'tiny-glioma'));
    [redis, pacs] = await Promise.all([startRedis(), startOrthanc()]);
    // Synthesised once; every study sent is a copy under new UIDs.
    template = (await synthesiseStudy({ tumor: 'gbm', seed: 'scale-out', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' })).files.map((f) => f.buffer);
    base = {
      http: { port: 0, auth: { users: [{ name: 'sender', secretSha256: sender.secretSha256, scopes: ['store', 'read', 'operate'] }, { name: 'worker', secretSha256: service.secretSha256, scopes: ['read', 'operate'] }] } },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 2 },
      models: { dir: models, routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
      // A worker thread for the stage work keeps the event loop free to renew the job's lock.
      pipeline: { workers: 1, maxAttempts: 5 },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'], initialBackoffSeconds: 0.2 },
      cluster: { redisUrl: redis.url, queuePrefix: 'e2e', lockSeconds: 5 },
    };
    const recvDir = join(tmp, 'receiver');
    mkdirSync(recvDir);
    dimsePort = await freePort();
    receiver = await serve('receiver', writeConfig('receiver', { ...base, node: { dataDir: recvDir, name: 'recv1' }, dimse: { port: dimsePort, aeTitle: 'NEUROONC', allowedCallingAeTitles: ['MRI1'] } }));
    baseUrl = receiver.ready.http as string;
    await Promise.all([startWorker('w1'), startWorker('w2')]);
  }, 480_000);

  afterAll(async () => {
    for (const w of Object.values(workers)) await stopProc(w);
    await stopProc(receiver);
    await Promise.all([redis?.stop(), pacs?.stop()]);
  });

  let template: Buffer[] = [];
  /** Sends copies of the template study under new UIDs: even ones by STOW-RS, odd ones by C-STORE. */
  const sendStudies = async (salts: string[]): Promise<string[]> => {
    const uids: string[] = [];
    for (const [i, salt] of salts.entries()) {
      const study = withNewUids(template, salt);
      uids.push(study.studyInstanceUid);
      if (i % 2 === 0) {
        const { body, contentType } = multipartRelated(study.files);
        const res = await fetch(`${baseUrl}/dicom-web/studies`, { method: 'POST', headers: { ...auth, 'content-type': contentType, accept: 'application/dicom+json' }, body });
        expect(res.status).toBe(200);
      } else {
        const dir = mkdtempSync(join(tmp, 'cstore-'));
        study.files.forEach((f, j) => writeFileSync(join(dir, `${j}.dcm`), f));
        const sent = await runTool('storescu', ['-aet', 'MRI1', '-aec', 'NEUROONC', '+sd', '-nh', '127.0.0.1', String(dimsePort), dir], { timeoutMs: 120_000 });
        expect(sent.code).toBe(0);
      }
    }
    return uids;
  };

  const latest = (all: JobRecord[], uid: string): JobRecord | undefined => all.filter((j) => j.studyInstanceUid === uid).sort((a, b) => b.generation - a.generation)[0];

  /** SEG and SR instances Orthanc holds for a study. */
  const resultsInPacs = async (uid: string): Promise<Record<string, number>> => {
    const studies = await pacs.rest<Array<{ ID: string; MainDicomTags: { StudyInstanceUID: string } }>>('GET', '/studies?expand');
    const study = studies.find((s) => s.MainDicomTags.StudyInstanceUID === uid);
    if (!study) return {};
    const series = await pacs.rest<Array<{ MainDicomTags: { Modality: string }; Instances: string[] }>>('GET', `/studies/${study.ID}/series`);
    const counts: Record<string, number> = {};
    for (const s of series) counts[s.MainDicomTags.Modality] = (counts[s.MainDicomTags.Modality] ?? 0) + s.Instances.length;
    return counts;
  };

  it('processes 12 studies (STOW-RS and C-STORE) to exactly one SEG + SR each, though a worker dies mid-inference', async () => {
    const sending = sendStudies(Array.from({ length: 12 }, (_, i) => `scale-${i + 1}`));
    // Kill w1 as soon as one of its jobs is in inference (its preprocessing report names it).
    let killedDuring: JobRecord | undefined;
    await waitFor(
      async () => {
        for (const j of (await jobs()).filter((x) => x.state === 'inferring')) {
          const d = await api<{ events: Array<{ note?: string }> }>(`/api/jobs/${j.id}`);
          if (d.events.some((e) => e.note?.startsWith('preprocessing ran on worker w1 '))) {
            workers.w1!.proc.kill('SIGKILL');
            killedDuring = j;
            return true;
          }
        }
        return false;
      },
      150_000,
      'a job of w1 in inference',
    );
    await workers.w1!.exited;
    const uids = await sending;
    let all: JobRecord[] = [];
    await waitFor(
      async () => {
        all = await jobs();
        return uids.every((u) => ['done', 'failed'].includes(latest(all, u)?.state ?? ''));
      },
      300_000,
      'all 12 jobs to finish',
    );
    for (const u of uids) {
      const j = latest(all, u)!;
      expect({ uid: u, state: j.state, error: j.lastError?.message }).toEqual({ uid: u, state: 'done', error: undefined });
      expect(await resultsInPacs(u)).toMatchObject({ SEG: 1, SR: 1 });
    }
    // The killed worker's job was taken over by w2 (stalled-job recovery) and finished there.
    const recovered = await api<{ state: string; events: Array<{ note?: string }> }>(`/api/jobs/${killedDuring!.id}`);
    expect(recovered.state).toBe('done');
    expect(recovered.events.some((e) => e.note?.startsWith('delivering ran on worker w2 (cpu)'))).toBe(true);
    const metrics = await (await fetch(`${baseUrl}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/^neuro_onc_worker_jobs_total\{worker="w2",provider="cpu"\} [1-9]/m);
    expect(metrics).toMatch(/^neuro_onc_queue_wait_seconds_count [1-9]/m);
  }, 600_000);

  it('loses no queued job when Redis is killed and restarted (AOF)', async () => {
    await stopProc(workers.w2);
    const uids = await sendStudies(['scale-redis-1', 'scale-redis-2']);
    // Both dispatched: queued in Redis, no worker to take them.
    await waitFor(async () => {
      const all = await jobs();
      return uids.every((u) => latest(all, u)?.state === 'identifying');
    }, 120_000, 'the jobs to be queued');
    const queued = await (await fetch(`${baseUrl}/metrics`, { headers: auth })).text();
    expect(queued).toMatch(/^neuro_onc_queue_jobs\{queue="jobs-any",state="waiting"\} 2$/m);
    await redis.restart({ hard: true });
    await startWorker('w3');
    await waitFor(async () => {
      const all = await jobs();
      return uids.every((u) => ['done', 'failed'].includes(latest(all, u)?.state ?? ''));
    }, 240_000, 'the queued jobs to finish after the Redis restart');
    const all = await jobs();
    for (const u of uids) {
      expect(latest(all, u)!.state).toBe('done');
      expect(await resultsInPacs(u)).toMatchObject({ SEG: 1, SR: 1 });
    }
  }, 420_000);
});
