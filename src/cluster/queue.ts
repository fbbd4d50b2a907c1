/**
 * What receivers and workers agree on (docs/scale-out.md): the BullMQ queues, the Redis connection, a queued job's
 * data and a worker's stage report. Pure: no connection is opened here.
 *
 *   receiver --(BullMQ job: ClusterJobData)--> Redis <--(takes)-- worker
 *   worker --(WADO-RS)--> receiver                  fetches the study's instances
 *   worker --(POST /api/cluster/reports)--> receiver  one StageReport per stage, in order
 */
import { z } from 'zod';
import type { Config } from '../config/schema';
import type { JobRecord } from '../jobs/types';
import { isGpuProvider } from '../ai/providers';

/**
 * Which workers may take a job: 'any' (CPU or GPU) or 'cuda' (a GPU worker: its onnxruntime started CUDA or WebGPU).
 * The name stays 'cuda' for existing configurations and Redis queues; a WebGPU worker runs the models on the GPU,
 * which is what a receiver that leaves 'cpu' out of its chain asks for.
 */
export type JobProvider = 'any' | 'cuda';
export const JOB_PROVIDERS: readonly JobProvider[] = ['any', 'cuda'];

/** One queue per provider class, so that a worker subscribes only to what it can run. */
export function queueName(provider: JobProvider): string {
  return `jobs-${provider}`;
}

export function jobProviderFor(cfg: Config): JobProvider {
  if (cfg.cluster.jobProvider !== 'auto') return cfg.cluster.jobProvider;
  return cfg.models.executionProviders.includes('cpu') ? 'any' : 'cuda';
}

/** The queues a worker takes jobs from, given the providers its onnxruntime can start. */
export function queuesFor(providers: readonly string[], takeGpuJobsOnCpu: boolean): JobProvider[] {
  return providers.some(isGpuProvider) || takeGpuJobsOnCpu ? ['any', 'cuda'] : ['any'];
}

/** ioredis options from a redis:// URL; maxRetriesPerRequest null as BullMQ workers require. */
export function redisConnection(url: string): { host: string; port: number; username?: string; password?: string; db?: number; tls?: object; maxRetriesPerRequest: null } {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** The Redis key where a worker declares itself (capabilities, queues), refreshed while it lives. */
export function workerKey(prefix: string, worker: string): string {
  return `${prefix}:workers:${worker}`;
}

/** Jobs of one site that may be in the queue before a later site's first job is ranked behind them. */
const RANK_SPAN = 100_000;

/**
 * BullMQ priority (1 = first) from the routing priority (0 urgent .. 3 low) and the site's rank (how many of that
 * site's jobs this receiver already has in the queue): within a priority, sites take turns, so one site's burst of
 * 200 studies does not starve another site's single study.
 */
export function bullPriority(routingPriority: number, siteRank: number): number {
  const p = Math.min(3, Math.max(0, Math.round(routingPriority)));
  return 1 + p * RANK_SPAN + Math.min(RANK_SPAN - 1, Math.max(0, siteRank));
}

/** The site a study came from, for the fair share: the DIMSE calling AE, else the HTTP user, else its address. */
export function siteOf(rec: { callingAeTitle?: string; user?: string; remoteAddress?: string } | undefined): string {
  if (rec?.callingAeTitle) return `ae:${rec.callingAeTitle}`;
  if (rec?.user) return `user:${rec.user}`;
  return rec?.remoteAddress ? `ip:${rec.remoteAddress}` : 'unknown';
}

/** A dispatch: the receiver's job record plus what a worker needs to run it and report back. */
export interface ClusterJobData {
  /** Unique per dispatch of a job (<receiver>.<job id>.<n>); the BullMQ job id, so adding it twice is a no-op. */
  token: string;
  job: JobRecord;
  receiverUrl: string;
  site: string;
  provider: JobProvider;
  /** The receiver's results registry for the study, so re-runs reference the SRs they supersede. */
  results: unknown[];
  enqueuedAt: number;
}

const portableError = z.object({ message: z.string(), permanent: z.boolean().default(false), reason: z.string().optional() }).strict();

/** A worker's report of one stage: its output (as the embedded node would persist it) or its error. */
export const stageReportSchema = z
  .object({
    token: z.string().min(1).max(200),
    jobId: z.number().int().positive(),
    stage: z.enum(['identifying', 'preprocessing', 'inferring', 'encoding', 'delivering']),
    worker: z.string().min(1).max(100),
    provider: z.string().min(1).max(20),
    ms: z.number().min(0),
    /** Time the job waited in the queue before this worker took it (first stage only). */
    waitMs: z.number().min(0).optional(),
    output: z.unknown().optional(),
    error: portableError.optional(),
  })
  .strict()
  .refine((r) => (r.output === undefined) !== (r.error === undefined), 'a report has exactly one of output and error');
export type StageReport = z.infer<typeof stageReportSchema>;

/** Paths inside a job's work folder that go back to the receiver (results and findings; never the bulky volumes). */
export function returnsToReceiver(rel: string): boolean {
  return rel.startsWith('out/') || /^findings-[^/]+$/.test(rel);
}

/** A path relative to a work folder that stays inside it. */
export function safeRelativePath(rel: string): boolean {
  return rel.length > 0 && rel.length < 500 && !rel.startsWith('/') && !rel.split('/').some((p) => p === '..' || p === '' || p === '.') && !/[\0\\]/.test(rel);
}
