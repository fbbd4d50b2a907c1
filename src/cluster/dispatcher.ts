/**
 * The receiver's side of the distributed mode: its job machine (authoritative records, retries, history) runs
 * "remote" stage handlers that dispatch the job to the BullMQ queue and wait for the worker's report of that stage.
 *
 * Durability: a dispatch (<jobDir>/dispatch/dispatch.json) and every report (<jobDir>/dispatch/<token>.<stage>.json)
 * are written atomically before they are acknowledged, so a receiver restart re-runs the interrupted stage handler,
 * which finds the report already there or waits on the same BullMQ job (same id: adding it again is a no-op).
 * A report with an error, or a BullMQ job that failed (a worker lost it too often), closes the dispatch: the job
 * machine counts a failed attempt and its retry dispatches anew. Workers recompute from the first stage (their
 * outputs are deterministic, so the result UIDs and the PACS's objects stay the same).
 */
import { EventEmitter } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/schema';
import type { JobMachine } from '../jobs/machine';
import type { Stage, StageContext, StagePlan } from '../jobs/types';
import { STAGES } from '../jobs/types';
import type { Logger } from '../log/logger';
import { logLimited } from '../log/repeat-limit';
import type { Metric } from '../metrics/metrics';
import { pipelineOutputSchemas, type EncodeOutput, type PipelineOutputs } from '../pipeline/stage-outputs';
import { loadResults, recordResults } from '../pipeline/results-registry';
import { writeFileAtomic } from '../store/durable-fs';
import { bullPriority, JOB_PROVIDERS, jobProviderFor, queueName, redisConnection, siteOf, workerKey, type ClusterJobData, type JobProvider, type StageReport } from './queue';

interface Dispatch {
  token: string;
  seq: number;
  closed: boolean;
  site: string;
  provider: JobProvider;
}

/** An error as the worker reported it, with the flags the job machine reads (permanent, reason). */
class RemoteStageError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'RemoteStageError';
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface WorkerStats {
  jobs: number;
  stageSeconds: Record<string, number>;
  provider: string;
}

export class Dispatcher {
  private readonly queues = new Map<JobProvider, Queue>();
  private readonly events = new Map<JobProvider, QueueEvents>();
  private readonly reported = new EventEmitter();
  /** Open dispatches per site (this receiver's share of the queue), for the fair-share rank. */
  private readonly siteOpen = new Map<string, Set<string>>();
  private machine?: JobMachine;
  private baseUrl?: string;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly workers = new Map<string, WorkerStats>();
  private wait = { count: 0, seconds: 0 };
  /** Reads the workers' declarations (src/cluster/worker.ts). */
  private readonly registry: Redis;

  constructor(
    private readonly cfg: Config,
    private readonly log: Logger,
  ) {
    this.reported.setMaxListeners(0);
    this.ready = new Promise((r) => (this.markReady = r));
    const connection = redisConnection(cfg.cluster.redisUrl);
    this.registry = new Redis(connection);
    this.registry.on('error', (e: Error) => logLimited(this.log, 'warn', 'redis (worker registry) error', { error: e.message }));
    for (const p of JOB_PROVIDERS) {
      const q = new Queue(queueName(p), { connection, prefix: cfg.cluster.queuePrefix });
      q.on('error', (e) => logLimited(this.log, 'warn', 'redis (queue) error', { error: e.message }));
      this.queues.set(p, q);
      const ev = new QueueEvents(queueName(p), { connection, prefix: cfg.cluster.queuePrefix });
      ev.on('error', (e) => logLimited(this.log, 'warn', 'redis (queue events) error', { error: e.message }));
      ev.on('failed', ({ jobId, failedReason }) => this.reported.emit(`failed:${jobId}`, failedReason));
      this.events.set(p, ev);
    }
  }

  /** Connects to the started node: its job machine and the URL the workers reach it at. Stage handlers wait for this. */
  bind(machine: JobMachine, baseUrl: string): void {
    this.machine = machine;
    this.baseUrl = this.cfg.cluster.receiverUrl ?? this.cfg.http.publicBaseUrl ?? baseUrl;
    this.markReady();
  }

  /** One remote handler per stage, with the pipeline's output schemas (the job machine parses what it reads back). */
  plan(): StagePlan<PipelineOutputs> {
    const h = (ctx: StageContext<PipelineOutputs>): Promise<never> => this.runStage(ctx) as Promise<never>;
    return { handlers: Object.fromEntries(STAGES.map((s) => [s, h])), outputs: pipelineOutputSchemas };
  }

  private dir(jobId: number): string {
    return join(this.machine!.jobDir(jobId), 'dispatch');
  }

  private reportPath(jobId: number, token: string, stage: Stage): string {
    return join(this.dir(jobId), `${token}.${stage}.json`);
  }

  private async runStage(ctx: StageContext<PipelineOutputs>): Promise<unknown> {
    await this.ready;
    const jobId = ctx.job.id;
    const dispatchPath = join(this.dir(jobId), 'dispatch.json');
    let d = await readJson<Dispatch>(dispatchPath);
    if (!d || d.closed) {
      const first = ctx.store.listInstances({ studyInstanceUid: ctx.studyInstanceUid })[0];
      const seq = (d?.seq ?? 0) + 1;
      d = { token: `${this.cfg.node.name}.${jobId}.${seq}`.replace(/[^A-Za-z0-9._-]/g, '_'), seq, closed: false, site: siteOf(first), provider: jobProviderFor(this.cfg) };
      await mkdir(this.dir(jobId), { recursive: true });
      await writeFileAtomic(dispatchPath, JSON.stringify(d));
    }
    let report = await readJson<StageReport>(this.reportPath(jobId, d.token, ctx.stage));
    const close = async (): Promise<void> => {
      this.siteOpen.get(d.site)?.delete(d.token);
      await writeFileAtomic(dispatchPath, JSON.stringify({ ...d, closed: true }));
    };
    if (!report) {
      await this.enqueue(ctx, d);
      try {
        report = await this.waitForReport(jobId, d, ctx.stage, ctx.signal);
      } catch (e) {
        // Superseded by a newer generation: take the dispatch out of the queue unless a worker already has it
        // (that one is told 'gone' at its next report). A shutdown leaves it queued for the next start.
        if (this.machine!.get(jobId)?.state === 'superseded') {
          await close();
          await this.queues.get(d.provider)!.remove(d.token).catch(() => undefined);
        }
        throw e;
      }
    }
    if (report.error) {
      await close();
      throw new RemoteStageError(`${report.error.message} (worker ${report.worker})`, report.error.permanent, report.error.reason);
    }
    if (ctx.stage === STAGES[STAGES.length - 1]) await close();
    return this.localise(ctx, report.output);
  }

  /** Paths in a worker's output point into the worker's work folder: re-root them in this job's work folder. */
  private async localise(ctx: StageContext<PipelineOutputs>, output: unknown): Promise<unknown> {
    if (ctx.stage === 'encoding') {
      const enc = output as EncodeOutput;
      enc.objects = enc.objects.map((o) => ({ ...o, path: join(ctx.workDir, o.path) }));
      await recordResults(this.cfg.node.dataDir, ctx.studyInstanceUid, ctx.generation, enc.objects);
      return enc;
    }
    if (ctx.stage === 'delivering') {
      const o = output as { outDir: string };
      return { ...o, outDir: join(ctx.workDir, o.outDir) };
    }
    return output;
  }

  private async enqueue(ctx: StageContext<PipelineOutputs>, d: Dispatch): Promise<void> {
    const open = this.siteOpen.get(d.site) ?? new Set<string>();
    this.siteOpen.set(d.site, open);
    const rank = open.has(d.token) ? [...open].indexOf(d.token) : open.size;
    open.add(d.token);
    const data: ClusterJobData = {
      token: d.token,
      job: ctx.job,
      receiverUrl: this.baseUrl!,
      site: d.site,
      provider: d.provider,
      results: await loadResults(this.cfg.node.dataDir, ctx.studyInstanceUid),
      enqueuedAt: Date.now(),
    };
    const queue = this.queues.get(d.provider)!;
    // Same id as an existing BullMQ job: BullMQ keeps the existing one (a restart does not queue the job twice).
    const keep = { age: 7 * 24 * 3600 };
    await queue.add('study', data, { jobId: d.token, priority: bullPriority(ctx.job.priority, rank), attempts: 1, removeOnComplete: keep, removeOnFail: keep });
    ctx.logger.info('job queued for the workers', { token: d.token, queue: queueName(d.provider), site: d.site, rank });
  }

  private waitForReport(jobId: number, d: Dispatch, stage: Stage, signal: AbortSignal): Promise<StageReport> {
    return new Promise<StageReport>((resolve, reject) => {
      const key = `${d.token}:${stage}`;
      const onReport = (r: StageReport): void => finish(() => resolve(r));
      const onFailed = (reason: string): void =>
        finish(() => resolve({ token: d.token, jobId, stage, worker: 'queue', provider: d.provider, ms: 0, error: { message: `the queue gave up on the job: ${reason}`, permanent: false } }));
      const onAbort = (): void => finish(() => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')));
      const finish = (then: () => void): void => {
        this.reported.off(key, onReport);
        this.reported.off(`failed:${d.token}`, onFailed);
        signal.removeEventListener('abort', onAbort);
        then();
      };
      this.reported.on(key, onReport);
      this.reported.on(`failed:${d.token}`, onFailed);
      signal.addEventListener('abort', onAbort);
      if (signal.aborted) return onAbort();
      // The report may have landed, or the BullMQ job failed, before we listened.
      void readJson<StageReport>(this.reportPath(jobId, d.token, stage)).then((r) => r && onReport(r));
      void this.queues
        .get(d.provider)!
        .getJob(d.token)
        .then(async (j) => (j && (await j.getState()) === 'failed' ? onFailed(j.failedReason) : undefined))
        .catch(() => undefined);
    });
  }

  /**
   * A worker's stage report: persisted, then handed to the waiting stage handler. 'gone' when the job no longer
   * wants it (superseded, finished, or dispatched anew): the worker stops.
   */
  async report(r: StageReport): Promise<'ok' | 'gone' | 'unknown' | { invalid: string }> {
    await this.ready;
    if (r.output !== undefined) {
      // The same schema the job machine parses the stored output with: a malformed report is refused now, by name.
      const parsed = pipelineOutputSchemas[r.stage].safeParse(r.output);
      if (!parsed.success) return { invalid: `${r.stage} output: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
    }
    const job = this.machine!.get(r.jobId);
    if (!job) return 'unknown';
    const d = await readJson<Dispatch>(join(this.dir(r.jobId), 'dispatch.json'));
    if (!d || d.token !== r.token || d.closed || job.state === 'superseded' || job.state === 'done' || job.state === 'failed') return 'gone';
    const path = this.reportPath(r.jobId, r.token, r.stage);
    // At-least-once: a second worker (after a stall) reports the same stage again; the first report stands.
    if (!(await readJson<StageReport>(path))) {
      await writeFileAtomic(path, JSON.stringify(r));
      this.count(r);
      if (!r.error) this.machine!.note(r.jobId, `${r.stage} ran on worker ${r.worker} (${r.provider}) in ${(r.ms / 1000).toFixed(1)} s`);
    }
    this.reported.emit(`${r.token}:${r.stage}`, r);
    return 'ok';
  }

  /** Stores a result file the worker uploads before its encoding report (<jobDir>/work/<rel>). */
  async saveFile(jobId: number, token: string, rel: string, body: Buffer): Promise<'ok' | 'gone' | 'unknown'> {
    await this.ready;
    if (!this.machine!.get(jobId)) return 'unknown';
    const d = await readJson<Dispatch>(join(this.dir(jobId), 'dispatch.json'));
    if (!d || d.token !== token || d.closed) return 'gone';
    const workDir = join(this.machine!.jobDir(jobId), 'work');
    const path = join(workDir, rel);
    if (relative(workDir, path).startsWith('..')) return 'gone';
    await mkdir(join(path, '..'), { recursive: true });
    await writeFileAtomic(path, body);
    return 'ok';
  }

  private count(r: StageReport): void {
    const w = this.workers.get(r.worker) ?? { jobs: 0, stageSeconds: {}, provider: r.provider };
    w.provider = r.provider;
    w.stageSeconds[r.stage] = (w.stageSeconds[r.stage] ?? 0) + r.ms / 1000;
    if (r.stage === 'delivering' && !r.error) w.jobs++;
    this.workers.set(r.worker, w);
    if (r.waitMs !== undefined) {
      this.wait.count++;
      this.wait.seconds += r.waitMs / 1000;
    }
  }

  /** Queue depth per queue and state, queue wait and per-worker throughput (for /metrics). */
  async metrics(): Promise<Metric[]> {
    const depth: Metric = { name: 'neuro_onc_queue_jobs', help: 'Jobs in the distributed queue per queue and state.', type: 'gauge', samples: [] };
    for (const [p, q] of this.queues) {
      const counts = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed').catch(() => undefined);
      if (!counts) continue;
      const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
      depth.samples.push(
        { labels: { queue: queueName(p), state: 'waiting' }, value: waiting },
        { labels: { queue: queueName(p), state: 'active' }, value: counts.active ?? 0 },
        { labels: { queue: queueName(p), state: 'failed' }, value: counts.failed ?? 0 },
      );
    }
    const workers = [...this.workers].sort(([a], [b]) => a.localeCompare(b));
    const declared = await this.declaredWorkers().catch(() => []);
    return [
      depth,
      {
        name: 'neuro_onc_workers_up',
        help: 'Workers alive on this Redis, with the execution providers onnxruntime started for them and the queues they take.',
        type: 'gauge',
        samples: declared.map((w) => ({ labels: { worker: w.worker, providers: w.providers.join(','), queues: w.queues.join(',') }, value: 1 })),
      },
      { name: 'neuro_onc_queue_wait_seconds_sum', help: 'Seconds jobs waited in the queue before a worker took them (since start).', type: 'counter', samples: [{ value: this.wait.seconds }] },
      { name: 'neuro_onc_queue_wait_seconds_count', help: 'Jobs taken by a worker (since start).', type: 'counter', samples: [{ value: this.wait.count }] },
      {
        name: 'neuro_onc_worker_jobs_total',
        help: 'Jobs each worker carried through delivery (since this receiver started).',
        type: 'counter',
        samples: workers.map(([worker, w]) => ({ labels: { worker, provider: w.provider }, value: w.jobs })),
      },
      {
        name: 'neuro_onc_worker_stage_seconds_total',
        help: 'Seconds each worker spent per stage (since this receiver started).',
        type: 'counter',
        samples: workers.flatMap(([worker, w]) => Object.entries(w.stageSeconds).map(([stage, s]) => ({ labels: { worker, stage }, value: s }))),
      },
    ];
  }

  private async declaredWorkers(): Promise<Array<{ worker: string; providers: string[]; queues: string[] }>> {
    const prefix = workerKey(this.cfg.cluster.queuePrefix, '');
    const keys = (await this.registry.keys(`${prefix}*`)).sort();
    if (!keys.length) return [];
    const values = await this.registry.mget(...keys);
    return keys.flatMap((k, i) => {
      try {
        const d = JSON.parse(values[i] ?? '') as { providers: string[]; queues: string[] };
        return [{ worker: k.slice(prefix.length), providers: d.providers, queues: d.queues }];
      } catch {
        return [];
      }
    });
  }

  async close(): Promise<void> {
    this.registry.disconnect();
    for (const e of this.events.values()) await e.close().catch(() => undefined);
    for (const q of this.queues.values()) await q.close().catch(() => undefined);
  }
}
