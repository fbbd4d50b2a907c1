/**
 * `serve --role worker`: takes jobs from the BullMQ queues it can run, fetches the study from the receiver over
 * WADO-RS into a local scratch store, runs the real pipeline stages (identify -> preprocess -> infer -> encode ->
 * deliver) and reports each stage's output to the receiver, which keeps the authoritative job record.
 *
 * At-least-once: a worker that dies (kill -9) stops renewing its BullMQ lock; after cluster.lockSeconds another
 * worker's stalled-job check puts the job back and someone runs it again from the start. Result UIDs are
 * deterministic, so the PACS ends with one copy of each object however often a job ran.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { hostname, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/schema';
import type { Stage, StageContext, StageOutputs, StagePlan } from '../jobs/types';
import { STAGES } from '../jobs/types';
import { createLogger, type Logger } from '../log/logger';
import { logLimited } from '../log/repeat-limit';
import type { EncodeOutput, PipelineOutputs } from '../pipeline/stage-outputs';
import { recordResults } from '../pipeline/results-registry';
import { loadPipeline } from '../pipeline-node';
import { openDatabase } from '../store/database';
import { storeLayout } from '../store/paths';
import { InstanceStore } from '../store/store';
import type { ModelRegistry } from '../ai/registry';
import { queueName, queuesFor, redisConnection, returnsToReceiver, workerKey, type ClusterJobData, type StageReport } from './queue';
import { DispatchGoneError, ReceiverClient } from './receiver-client';

export interface WorkerCapabilities {
  /** Execution providers onnxruntime-node actually started for the loaded models (cpu always works). */
  providers: string[];
  models: string[];
  memoryMb: number;
}

/** What this worker can run: the providers its loaded model sessions got, never what the configuration wished for. */
export function capabilitiesOf(registry: ModelRegistry): WorkerCapabilities {
  const providers = new Set<string>(['cpu']);
  for (const name of registry.names()) {
    const m = registry.get(name);
    if (m) providers.add(m.executionProvider);
  }
  return { providers: [...providers].sort(), models: registry.names(), memoryMb: Math.round(totalmem() / 2 ** 20) };
}

export interface ClusterWorker {
  name: string;
  capabilities: WorkerCapabilities;
  queues: string[];
  close(): Promise<void>;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** A stage output as the receiver stores it: paths relative to the work folder (it re-roots them in its own). */
function portable(stage: Stage, output: unknown, workDir: string): unknown {
  if (stage === 'encoding') {
    const enc = output as EncodeOutput;
    return { ...enc, objects: enc.objects.map((o) => ({ ...o, path: relative(workDir, o.path) })) };
  }
  if (stage === 'delivering') {
    const d = output as { outDir: string };
    return { ...d, outDir: relative(workDir, d.outDir) };
  }
  return output;
}

function errorOf(e: unknown): NonNullable<StageReport['error']> {
  const reason = (e as { reason?: unknown })?.reason;
  return { message: e instanceof Error ? e.message : String(e), permanent: (e as { permanent?: unknown })?.permanent === true, ...(typeof reason === 'string' ? { reason } : {}) };
}

export async function startClusterWorker(config: Config): Promise<ClusterWorker> {
  const log = createLogger('cluster-worker');
  const name = config.cluster.worker.name ?? `${hostname()}-${process.pid}`;
  const pipeline = await loadPipeline(config);
  const capabilities = capabilitiesOf(pipeline.registry);
  await mkdir(config.node.dataDir, { recursive: true });
  const db = openDatabase(storeLayout(config.node.dataDir).database);
  // A scratch copy of the studies this worker is running; each is removed when its job ends.
  const store = await InstanceStore.open({
    dataDir: config.node.dataDir,
    acceptedSopClasses: config.node.acceptedSopClasses,
    durableWrites: false,
    minFreeBytes: config.node.minFreeDiskMb * 1024 * 1024,
    duplicatePolicy: config.node.duplicatePolicy,
    db,
    logger: createLogger('store'),
  });
  const stopping = new AbortController();
  const run = (job: Job<ClusterJobData>): Promise<void> => runJob({ config, name, stages: pipeline.stages, store, registry: pipeline.registry, log, signal: stopping.signal }, job);
  const queues = queuesFor(capabilities.providers, config.cluster.worker.takeGpuJobsOnCpu);
  const lockMs = config.cluster.lockSeconds * 1000;
  const workers = queues.map((p) => {
    const w = new Worker<ClusterJobData>(queueName(p), run, {
      connection: redisConnection(config.cluster.redisUrl),
      prefix: config.cluster.queuePrefix,
      concurrency: config.cluster.worker.concurrency,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.round(lockMs / 2)),
      maxStalledCount: config.cluster.maxStalls,
    });
    w.on('error', (e) => logLimited(log, 'warn', 'redis (worker) error', { error: e.message }));
    w.on('failed', (j, e) => log.error('job failed on this worker', { token: j?.id, error: e.message }));
    return w;
  });
  log.info('worker started', { worker: name, ...capabilities, queues: queues.map(queueName) });
  // Declared in Redis for the receivers' /metrics while this worker lives (expires 3 lock periods after it stops).
  const registry = new Redis(redisConnection(config.cluster.redisUrl));
  registry.on('error', (e: Error) => logLimited(log, 'warn', 'redis (worker registry) error', { error: e.message }));
  const declaration = JSON.stringify({ ...capabilities, queues: queues.map(queueName), since: Date.now() });
  const declare = (): void => void registry.set(workerKey(config.cluster.queuePrefix, name), declaration, 'EX', Math.ceil(config.cluster.lockSeconds * 3)).catch(() => undefined);
  declare();
  const heartbeat = setInterval(declare, lockMs);
  heartbeat.unref();
  return {
    name,
    capabilities,
    queues: queues.map(queueName),
    close: async () => {
      // Like a crash for the jobs in hand: not completed, their lock lapses and another worker takes them over.
      stopping.abort(new Error('worker shutting down'));
      clearInterval(heartbeat);
      await registry.del(workerKey(config.cluster.queuePrefix, name)).catch(() => undefined);
      registry.disconnect();
      await Promise.allSettled(workers.map((w) => w.close(true)));
      await pipeline.close();
      await store.close();
      db.close();
    },
  };
}

interface RunDeps {
  config: Config;
  name: string;
  stages: StagePlan<PipelineOutputs>;
  store: InstanceStore;
  registry: ModelRegistry;
  log: Logger;
  signal: AbortSignal;
}

/** One dispatch, start to end. Returns normally when done, or when the receiver no longer wants it. */
async function runJob(deps: RunDeps, bull: Job<ClusterJobData>): Promise<void> {
  const { config, store } = deps;
  const data = bull.data;
  const uid = data.job.studyInstanceUid;
  const logger = deps.log.child({ token: data.token, jobId: data.job.id, studyInstanceUid: uid });
  const client = new ReceiverClient({
    baseUrl: data.receiverUrl,
    dicomwebBasePath: config.http.dicomwebBasePath,
    user: config.cluster.worker.receiverUser,
    secret: config.cluster.worker.receiverSecret,
    logger,
    signal: deps.signal,
  });
  const workDir = join(config.node.dataDir, 'jobs', data.token, 'work');
  const waitMs = Math.max(0, (bull.processedOn ?? Date.now()) - bull.timestamp);
  logger.info('job taken', { waitMs, attempt: bull.attemptsStarted });
  try {
    await store.purgeStudy(uid); // a left-over copy from an earlier run would mix generations
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    const parts = await client.fetchStudy(uid);
    const batch = store.batch({ source: 'stow', user: 'receiver', ...(data.site.startsWith('ae:') ? { callingAeTitle: data.site.slice(3) } : {}) });
    for (const p of parts) batch.addBuffer(p);
    await batch.commit();
    await seedResults(config.node.dataDir, uid, data.results);
    const outputs: StageOutputs<PipelineOutputs> = {};
    for (const stage of STAGES) {
      await bull.updateProgress({ stage, worker: deps.name });
      const t0 = Date.now();
      const ctx: StageContext<PipelineOutputs> = { job: data.job, stage, studyInstanceUid: uid, generation: data.job.generation, store, workDir, outputs, logger: logger.child({ stage }), signal: deps.signal, attempt: 1 };
      let output: unknown;
      try {
        const handler = deps.stages.handlers[stage] as ((c: StageContext<PipelineOutputs>) => Promise<unknown>) | undefined;
        if (!handler) throw new Error(`no handler for stage ${stage}`);
        output = await handler(ctx);
      } catch (e) {
        if (deps.signal.aborted) throw e;
        logger.warn('stage failed; reporting it to the receiver', { stage, error: (e as Error).message });
        await client.report({ token: data.token, jobId: data.job.id, stage, worker: deps.name, provider: providerOf(deps.registry, outputs), ms: Date.now() - t0, ...(stage === 'identifying' ? { waitMs } : {}), error: errorOf(e) });
        return;
      }
      (outputs as Record<string, unknown>)[stage] = output;
      if (stage === 'encoding') {
        for (const rel of (await filesUnder(workDir)).filter(returnsToReceiver)) await client.upload(data.job.id, data.token, rel, await readFile(join(workDir, rel)));
      }
      await client.report({
        token: data.token,
        jobId: data.job.id,
        stage,
        worker: deps.name,
        provider: providerOf(deps.registry, outputs),
        ms: Date.now() - t0,
        ...(stage === 'identifying' ? { waitMs } : {}),
        output: portable(stage, output, workDir),
      });
    }
    logger.info('job done', { worker: deps.name });
  } catch (e) {
    if (e instanceof DispatchGoneError) {
      logger.info('the receiver no longer wants this dispatch; stopping', { why: e.message });
      return;
    }
    throw e;
  } finally {
    if (!deps.signal.aborted) {
      await store.purgeStudy(uid).catch(() => undefined);
      await rm(join(config.node.dataDir, 'jobs', data.token), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/** The provider the job's inference ran on: the loaded sessions' of the models it routed. */
function providerOf(registry: ModelRegistry, outputs: StageOutputs<PipelineOutputs>): string {
  const models = outputs.identifying?.routed ?? [];
  const eps = [...new Set(models.map((m) => registry.get(m)?.executionProvider).filter(Boolean))];
  return eps.join('+') || 'cpu';
}

/** The receiver's results registry for the study, so this run references the SRs it supersedes. */
async function seedResults(dataDir: string, uid: string, results: unknown[]): Promise<void> {
  const byGeneration = new Map<number, Array<Parameters<typeof recordResults>[3][number]>>();
  for (const r of results as Array<{ generation: number } & Parameters<typeof recordResults>[3][number]>) {
    const { generation, ...entry } = r;
    byGeneration.set(generation, [...(byGeneration.get(generation) ?? []), entry]);
  }
  for (const [g, entries] of byGeneration) await recordResults(dataDir, uid, g, entries);
}
