/** @jest-environment ./test/ai/ort-environment.js */
/**
 * Workers take only the jobs they can run: with a real redis-server, a receiver whose models are pinned to CUDA
 * queues its job for CUDA workers; a CPU-only worker (this machine's onnxruntime has no CUDA) never takes it, while
 * a worker configured with cluster.worker.takeGpuJobsOnCpu does, and runs it through to done.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { ConfigInput } from '../../src/config/schema';
import { startReceiver, type ReceiverNode } from '../../src/cluster/receiver';
import { startClusterWorker, type ClusterWorker } from '../../src/cluster/worker';
import { synthesiseStudy } from '../../src/synth/study';
import { waitFor } from '../helpers/ports';
import { startRedis, type TestRedis } from '../helpers/redis';
import { stow } from '../helpers/stow';

const models: ConfigInput['models'] = { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false };

async function metric(node: ReceiverNode, line: string): Promise<number | undefined> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  const hit = text.split('\n').find((l) => l.startsWith(line + ' '));
  return hit ? Number(hit.slice(line.length + 1)) : undefined;
}

describe('cluster: a CPU-only worker never takes a job that requires CUDA', () => {
  let redis: TestRedis;
  let receiver: ReceiverNode;
  const workers: ClusterWorker[] = [];
  const cluster = (extra: object = {}): ConfigInput['cluster'] => ({ redisUrl: redis.url, queuePrefix: 'cap', lockSeconds: 2, ...extra });

  beforeAll(async () => {
    redis = await startRedis();
    receiver = await startReceiver(
      parseConfig({
        node: { dataDir: mkdtempSync(join(tmpdir(), 'cap-recv-')), name: 'recv' },
        http: { port: 0 },
        dimse: { enabled: false },
        study: { quietPeriodSeconds: 3 },
        models,
        cluster: cluster({ jobProvider: 'cuda' }),
      }),
    );
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) await w.close();
    await receiver?.close();
    await redis?.stop();
  });

  const startWorker = async (name: string, takeGpuJobsOnCpu: boolean): Promise<ClusterWorker> => {
    const w = await startClusterWorker(
      parseConfig({ node: { dataDir: mkdtempSync(join(tmpdir(), `cap-${name}-`)) }, dimse: { enabled: false }, models, pipeline: { workers: 0 }, cluster: cluster({ worker: { name, takeGpuJobsOnCpu } }) }),
    );
    workers.push(w);
    return w;
  };

  it('queues the job for CUDA; the CPU worker leaves it; a worker allowed to run GPU jobs on the CPU takes it', async () => {
    const cpu = await startWorker('cpu-only', false);
    expect(cpu.capabilities.providers).toEqual(['cpu']);
    expect(cpu.queues).toEqual(['jobs-any']);

    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'cap-1', vendor: 'siemens', size: 'small', distractors: 'none' });
    expect((await stow(receiver.dicomwebUrl, study.files.map((f) => f.buffer))).every((s) => s === 200)).toBe(true);
    const uid = study.study.studyInstanceUid;
    await waitFor(async () => receiver.jobs.list({ studyUid: uid })[0]?.state === 'identifying', 60_000, 'the job to be dispatched');
    // Several lock periods and stalled checks: the CPU-only worker had every chance to take it.
    await new Promise((r) => setTimeout(r, 4000));
    expect(await metric(receiver, 'neuro_onc_queue_jobs{queue="jobs-cuda",state="waiting"}')).toBe(1);
    expect(await metric(receiver, 'neuro_onc_queue_jobs{queue="jobs-any",state="waiting"}')).toBe(0);
    // The worker declared what its onnxruntime could start and which queues it takes.
    expect(await metric(receiver, 'neuro_onc_workers_up{worker="cpu-only",providers="cpu",queues="jobs-any"}')).toBe(1);
    const before = (await receiver.jobs.detail(receiver.jobs.list({ studyUid: uid })[0]!.id))!;
    expect(before.state).toBe('identifying');
    expect(before.events.some((e) => /ran on worker/.test(e.note ?? ''))).toBe(false);

    const gpuOnCpu = await startWorker('gpu-on-cpu', true);
    expect(gpuOnCpu.queues).toEqual(['jobs-any', 'jobs-cuda']);
    const job = await receiver.jobs.waitFor(before.id, ['done', 'failed'], 120_000);
    expect(job.lastError).toBeUndefined();
    expect(job.state).toBe('done');
    const after = (await receiver.jobs.detail(job.id))!;
    const ranOn = after.events.map((e) => e.note ?? '').filter((n) => /ran on worker/.test(n));
    expect(ranOn.length).toBe(5);
    expect(ranOn.every((n) => n.includes('worker gpu-on-cpu (cpu)'))).toBe(true);
    expect(await metric(receiver, 'neuro_onc_worker_jobs_total{worker="gpu-on-cpu",provider="cpu"}')).toBe(1);
    // The dashboard says which worker and provider ran it.
    const dash = (await (await fetch(`${receiver.httpUrl}/ui/dashboard.json`)).json()) as { jobs: Array<{ id: number; ranOn?: string }> };
    expect(dash.jobs.find((j) => j.id === job.id)?.ranOn).toBe('gpu-on-cpu (cpu)');
  }, 180_000);
});
