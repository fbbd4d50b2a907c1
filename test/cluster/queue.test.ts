/**
 * What receivers and workers agree on (src/cluster/queue.ts): queue choice by provider, the priority that gives each
 * site its turn, and the report's shape. The fair share is checked on a real redis-server with a real BullMQ worker:
 * the order in which jobs are taken, not only the numbers.
 */
import { Queue, Worker } from 'bullmq';
import { parseConfig } from '../../src/config/load';
import { bullPriority, jobProviderFor, queuesFor, redisConnection, returnsToReceiver, safeRelativePath, siteOf, stageReportSchema } from '../../src/cluster/queue';
import { startRedis, type TestRedis } from '../helpers/redis';

describe('cluster queue rules', () => {
  test('a CPU-only worker subscribes to the any-queue only, unless allowed to run GPU jobs on the CPU', () => {
    expect(queuesFor(['cpu'], false)).toEqual(['any']);
    expect(queuesFor(['cpu'], true)).toEqual(['any', 'cuda']);
    expect(queuesFor(['cpu', 'cuda'], false)).toEqual(['any', 'cuda']);
  });

  test('a worker that started WebGPU is a GPU worker: it takes the GPU-only (cuda) queue too', () => {
    expect(queuesFor(['cpu', 'webgpu'], false)).toEqual(['any', 'cuda']);
  });

  test('jobs need CUDA when the models are pinned to it (auto) or when configured', () => {
    expect(jobProviderFor(parseConfig({}))).toBe('any');
    expect(jobProviderFor(parseConfig({ models: { executionProviders: ['cuda'] } }))).toBe('cuda');
    expect(jobProviderFor(parseConfig({ cluster: { jobProvider: 'cuda' } }))).toBe('cuda');
    expect(jobProviderFor(parseConfig({ models: { executionProviders: ['cuda'] }, cluster: { jobProvider: 'any' } }))).toBe('any');
    // A chain without cpu (GPU only, CUDA or WebGPU) asks for a GPU worker.
    expect(jobProviderFor(parseConfig({ models: { executionProviders: ['cuda', 'webgpu'] } }))).toBe('cuda');
    expect(jobProviderFor(parseConfig({ models: { executionProviders: ['webgpu'] } }))).toBe('cuda');
  });

  test('routing priority first, then the site rank', () => {
    expect(bullPriority(0, 500)).toBeLessThan(bullPriority(1, 0));
    expect(bullPriority(2, 0)).toBeLessThan(bullPriority(2, 1));
    expect(bullPriority(2, 10 ** 9)).toBeLessThan(bullPriority(3, 0));
    expect(bullPriority(0, 0)).toBe(1);
  });

  test('the site is the calling AE, else the HTTP user, else the address', () => {
    expect(siteOf({ callingAeTitle: 'MRI1', user: 'x' })).toBe('ae:MRI1');
    expect(siteOf({ user: 'router' })).toBe('user:router');
    expect(siteOf({ remoteAddress: '10.0.0.1' })).toBe('ip:10.0.0.1');
    expect(siteOf(undefined)).toBe('unknown');
  });

  test('redis URLs become connection options', () => {
    expect(redisConnection('redis://:pw@redis.example.org:6380/2')).toEqual({ host: 'redis.example.org', port: 6380, password: 'pw', db: 2, maxRetriesPerRequest: null });
    expect(parseConfig.bind(null, { cluster: { redisUrl: 'http://x' } })).toThrow(/redisUrl/);
  });

  test('only result files go back to the receiver, and only inside the work folder', () => {
    expect(returnsToReceiver('out/tiny-glioma/seg.dcm')).toBe(true);
    expect(returnsToReceiver('findings-tiny-glioma.0.bin')).toBe(true);
    expect(returnsToReceiver('prep-tiny-glioma.json')).toBe(false);
    for (const bad of ['../x', 'out/../../x', '/etc/passwd', 'out//x', '']) expect(safeRelativePath(bad)).toBe(false);
    expect(safeRelativePath('out/m/sr.dcm')).toBe(true);
  });

  test('a report has exactly one of output and error', () => {
    const base = { token: 't', jobId: 1, stage: 'identifying', worker: 'w', provider: 'cpu', ms: 1 };
    expect(stageReportSchema.safeParse({ ...base, output: {} }).success).toBe(true);
    expect(stageReportSchema.safeParse({ ...base, error: { message: 'x' } }).success).toBe(true);
    expect(stageReportSchema.safeParse(base).success).toBe(false);
    expect(stageReportSchema.safeParse({ ...base, output: {}, error: { message: 'x' } }).success).toBe(false);
  });
});

describe('cluster fair share on a real Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("one site's burst does not starve another site's single study; urgent goes first", async () => {
    const connection = redisConnection(redis.url);
    const queue = new Queue('jobs-any', { connection, prefix: 'fair' });
    // Site A queues 6 studies, then site B one, then an urgent study from site A.
    for (let i = 0; i < 6; i++) await queue.add('study', { name: `A${i}` }, { jobId: `A${i}`, priority: bullPriority(2, i) });
    await queue.add('study', { name: 'B0' }, { jobId: 'B0', priority: bullPriority(2, 0) });
    await queue.add('study', { name: 'U' }, { jobId: 'U', priority: bullPriority(0, 6) });
    const order: string[] = [];
    const worker = new Worker<{ name: string }>(
      'jobs-any',
      async (job) => {
        order.push(job.data.name);
      },
      { connection, prefix: 'fair', concurrency: 1 },
    );
    await new Promise<void>((resolve) => worker.on('drained', () => resolve()));
    await worker.close();
    await queue.close();
    expect(order[0]).toBe('U');
    expect(order.indexOf('B0')).toBeLessThanOrEqual(2);
    expect(order.filter((n) => n.startsWith('A'))).toEqual(['A0', 'A1', 'A2', 'A3', 'A4', 'A5']);
  });
});
