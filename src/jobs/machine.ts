/**
 * The durable job state machine: one job per study generation, driven by the study tracker, run through the
 * registered stage handlers with pipeline.concurrency jobs at a time.
 *
 * Durability: every transition is a SQLite transaction (job-store.ts); each stage's output is written
 * atomically to <dataDir>/jobs/<id>/<stage>.json before the job moves on. A process that dies mid-stage leaves
 * a 'running' stage run behind; start() marks it interrupted, counts it as a failed attempt and runs the same
 * stage again (earlier outputs are read back from disk). A stage that fails is retried after a back-off until
 * pipeline.maxAttempts failures, then the job is 'failed' (dead letter) with the error visible in the API until
 * someone retries it.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger';
import type { Db } from '../store/database';
import { writeFileAtomic } from '../store/durable-fs';
import type { InstanceStore } from '../store/store';
import type { GenerationEvent, ReadyEvent, StudyTracker } from '../study/tracker';
import { z } from 'zod';
import { JobStore, type JobQuery, type JobUpdate } from './job-store';
import { parseStored, parseStoredJson, StoredDataError } from './stored-data';
import {
  isStage,
  PASS_THROUGH,
  STAGES,
  TERMINAL_STATES,
  type Admission,
  type JobRecord,
  type JobState,
  type Stage,
  type StageContext,
  type StageHandler,
  type StageHandlers,
  type StageOutputMap,
  type StageOutputs,
  type StageOutputSchemas,
} from './types';

export class JobNotFoundError extends Error {
  constructor(id: number) {
    super(`no job ${id}`);
    this.name = 'JobNotFoundError';
  }
}

export class JobConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobConflictError';
  }
}

export interface JobMachineOptions<M extends StageOutputMap = StageOutputMap> {
  db: Db;
  store: InstanceStore;
  /** node.dataDir; job folders go to <dataDir>/jobs/<id>. */
  dataDir: string;
  concurrency: number;
  maxAttempts: number;
  logger: Logger;
  /** Delay before retrying a failed stage, by failed-attempt count (default 5 s x 2^(n-1), at most 5 min). */
  backoffMs?: (failedAttempts: number) => number;
  now?: () => number;
  /** Routing rules: decides, when a study is ready, whether and at which priority it runs (src/routing). */
  admit?: (studyInstanceUid: string) => Admission;
  /** The schema of each stage's output, checked whenever an output is read back (UNCHECKED_OUTPUTS for plain JSON). */
  outputs: StageOutputSchemas<M>;
}

/** A persisted stage output: <job>/<stage>.json. */
export interface StoredOutput<T> {
  stage: Stage;
  attempt: number;
  finishedAt: number;
  output: T;
}

/** What a stage handler's context holds besides its stage and the earlier outputs. */
type RunBase = Omit<StageContext, 'stage' | 'outputs'>;

/** The envelope every <job>/<stage>.json has around the stage's output. */
const ENVELOPE = z.looseObject({ stage: z.string(), attempt: z.number(), finishedAt: z.number(), output: z.unknown() });



export class JobMachine<M extends StageOutputMap = StageOutputMap> {
  readonly jobs: JobStore;
  /**
   * Each registered handler, wrapped with the reading of its inputs: the wrapper's type does not mention M, so a
   * machine over the pipeline's outputs is still a JobMachine to the code that only reads jobs.
   */
  private readonly runners = new Map<Stage, (base: RunBase) => Promise<unknown>>();
  private readonly running = new Map<number, { controller: AbortController; done: Promise<void> }>();
  private readonly listeners: Array<(job: JobRecord) => void> = [];
  private readonly now: () => number;
  private readonly backoff: (n: number) => number;
  private readonly log: Logger;
  private wakeTimer?: NodeJS.Timeout;
  /** Per-job chain of job.json snapshot writes (in order; awaited by close()). */
  private readonly snapshots = new Map<number, Promise<void>>();
  private started = false;
  private closing = false;

  constructor(private readonly opts: JobMachineOptions<M>) {
    this.jobs = new JobStore(opts.db);
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoffMs ?? ((n) => Math.min(300_000, 5000 * 2 ** (n - 1)));
    this.log = opts.logger;
  }

  /** Registers the handler of one stage (replaces the pass-through). Call before start(). */
  registerStage<S extends Stage>(stage: S, handler: StageHandler<M, S>): void {
    this.runners.set(stage, async (base) => handler({ ...base, stage, outputs: await this.loadOutputs(base.job.id, STAGES.indexOf(stage)) }));
  }

  /** Called after every change of a job (state, attempts, error). */
  onChange(listener: (job: JobRecord) => void): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  jobDir(id: number): string {
    return join(this.opts.dataDir, 'jobs', String(id));
  }

  /** Connects to the study tracker: a new generation creates a job, a ready study makes its job runnable. */
  attach(tracker: StudyTracker): void {
    tracker.onGeneration((e) => this.onGeneration(e));
    tracker.onReady((e) => this.onReady(e));
    // Catch up with tracker state the process may have missed (crash between the two commits).
    for (const a of tracker.list()) {
      const job = this.jobs.forStudy(a.studyInstanceUid, a.generation)[0];
      if (!job) this.onGeneration({ studyInstanceUid: a.studyInstanceUid, generation: a.generation });
      if (a.state === 'ready') this.onReady({ studyInstanceUid: a.studyInstanceUid, generation: a.generation, reason: a.readyReason ?? 'quiet-period' });
    }
  }

  /** Recovers stage runs interrupted by a crash, then starts running jobs. */
  start(): void {
    const t = this.now();
    for (const run of this.jobs.interruptedRuns(t)) {
      const job = this.jobs.get(run.jobId);
      if (!job || TERMINAL_STATES.has(job.state)) continue;
      const attempts = job.attempts + 1;
      const lastError = { stage: run.stage, message: `the node stopped while stage ${run.stage} was running (attempt ${run.attempt})`, at: t, attempt: run.attempt };
      if (attempts >= job.maxAttempts) {
        this.update(job.id, { state: 'failed', attempts, lastError, finishedAt: t }, `interrupted ${attempts} time(s) in ${run.stage}; giving up`);
      } else {
        this.update(job.id, { attempts, lastError }, `resuming ${run.stage} after an interruption`);
        this.log.warn('resuming a job interrupted mid-stage', { jobId: job.id, stage: run.stage, studyInstanceUid: job.studyInstanceUid, attempt: attempts + 1 });
      }
    }
    this.started = true;
    this.pump();
  }

  get(id: number): JobRecord | undefined {
    return this.jobs.get(id);
  }

  list(opts: JobQuery & { limit?: number; offset?: number } = {}): JobRecord[] {
    return this.jobs.list(opts);
  }

  /** A job with its stage runs, state history and which stage outputs exist. */
  async detail(id: number): Promise<(JobRecord & { runs: ReturnType<JobStore['runs']>; events: ReturnType<JobStore['events']>; outputs: Stage[]; dir: string }) | undefined> {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    const files = await fsp.readdir(this.jobDir(id)).catch(() => [] as string[]);
    const outputs = STAGES.filter((s) => files.includes(`${s}.json`));
    return { ...job, runs: this.jobs.runs(id), events: this.jobs.events(id), outputs, dir: this.jobDir(id) };
  }

  /**
   * The persisted output of one stage ({ stage, attempt, finishedAt, output }), or undefined when the stage has
   * not run. The output is parsed with the stage's schema: a damaged file, or one another version wrote, throws a
   * StoredDataError naming the file and the field.
   */
  async readOutput<S extends Stage>(id: number, stage: S): Promise<StoredOutput<M[S]> | undefined> {
    const file = join(this.jobDir(id), `${stage}.json`);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const stored = parseStored(ENVELOPE, parseStoredJson(text, file, 'bad-stage-output'), file, 'bad-stage-output');
    if (stored.stage !== stage) throw new StoredDataError(`${file} holds the output of stage ${stored.stage}, not ${stage}`, 'bad-stage-output', file);
    return { ...stored, stage, output: parseStored(this.opts.outputs[stage], stored.output, file, 'bad-stage-output', 'output') };
  }

  /**
   * Runs a failed (or done) job again from `fromStage` (default: the stage that failed; 'identifying' when
   * none did). Resets the attempt count.
   */
  retry(id: number, fromStage?: Stage): JobRecord {
    const job = this.jobs.get(id);
    if (!job) throw new JobNotFoundError(id);
    if (job.state === 'superseded') throw new JobConflictError(`job ${id} was superseded by job ${job.supersededBy ?? '?'} (a newer generation of the study); retry that one`);
    if (job.state !== 'failed' && job.state !== 'done') throw new JobConflictError(`job ${id} is ${job.state}; only failed or done jobs can be retried`);
    if (this.opts.store.index.instanceCount(job.studyInstanceUid) === 0) {
      throw new JobConflictError(`job ${id}: the study's instances are no longer on the node (deleted after delivery by node.retention, or by an operator); send the study again to process it`);
    }
    const failedStage = job.lastError && isStage(job.lastError.stage) ? job.lastError.stage : undefined;
    const target = fromStage ?? (job.state === 'failed' ? failedStage : undefined) ?? STAGES[0];
    const updated = this.update(id, { state: target, attempts: 0, nextAttemptAt: null, finishedAt: null }, `retry requested from ${target}`);
    this.log.info('job retry requested', { jobId: id, fromStage: target, studyInstanceUid: job.studyInstanceUid });
    this.pump();
    return updated;
  }

  /** Adds a line to a job's history without changing its state (e.g. its study was deleted by retention). */
  note(id: number, text: string): void {
    this.jobs.update(id, {}, this.now(), text);
  }

  /** Resolves when the job reaches one of `states` (or rejects after timeoutMs). */
  waitFor(id: number, states: JobState[], timeoutMs = 30000): Promise<JobRecord> {
    return new Promise((resolve, reject) => {
      const check = (j: JobRecord | undefined): boolean => {
        if (j && j.id === id && states.includes(j.state)) {
          clearTimeout(timer);
          off();
          resolve(j);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        off();
        reject(new Error(`job ${id} did not reach ${states.join('/')} within ${timeoutMs} ms (now ${this.jobs.get(id)?.state})`));
      }, timeoutMs);
      const off = this.onChange((j) => void check(j));
      check(this.jobs.get(id));
    });
  }

  /** Stops taking work, aborts running stages (they re-run at the next start) and waits for them to settle. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const r of this.running.values()) r.controller.abort(new Error('node shutting down'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.allSettled([...this.snapshots.values()]);
  }

  // ------------------------------------------------------------------ internals

  private update(id: number, change: JobUpdate, note?: string): JobRecord {
    const job = this.jobs.update(id, change, this.now(), note);
    void this.writeSnapshot(job);
    for (const l of [...this.listeners]) {
      try {
        l(job);
      } catch (e) {
        this.log.error('job listener failed', { error: (e as Error).message });
      }
    }
    return job;
  }

  /** job.json in the job folder mirrors the database row for people inspecting the folder; written in order. */
  private writeSnapshot(job: JobRecord): Promise<void> {
    const prev = this.snapshots.get(job.id) ?? Promise.resolve();
    const next = prev.then(async () => {
      try {
        await writeFileAtomic(join(this.jobDir(job.id), 'job.json'), JSON.stringify(job, null, 2) + '\n');
      } catch (e) {
        this.log.warn('could not write job.json snapshot', { jobId: job.id, error: (e as Error).message });
      }
    });
    this.snapshots.set(job.id, next);
    void next.then(() => {
      if (this.snapshots.get(job.id) === next) this.snapshots.delete(job.id);
    });
    return next;
  }

  private onGeneration(e: GenerationEvent): void {
    const job = this.jobs.create(e.studyInstanceUid, e.generation, this.opts.maxAttempts, this.now());
    void this.writeSnapshot(job);
    for (const older of this.jobs.forStudy(e.studyInstanceUid)) {
      if (older.generation >= e.generation || TERMINAL_STATES.has(older.state)) continue;
      this.update(older.id, { state: 'superseded', supersededBy: job.id, finishedAt: this.now(), nextAttemptAt: null }, `generation ${e.generation} started (job ${job.id})`);
      this.running.get(older.id)?.controller.abort(new Error(`superseded by job ${job.id}`));
      this.log.info('job superseded by a newer generation of its study', { jobId: older.id, supersededBy: job.id, studyInstanceUid: e.studyInstanceUid });
    }
  }

  private onReady(e: ReadyEvent): void {
    let job = this.jobs.forStudy(e.studyInstanceUid, e.generation)[0];
    if (!job) job = this.jobs.create(e.studyInstanceUid, e.generation, this.opts.maxAttempts, this.now());
    if (job.state !== 'received') return;
    const admission = this.admission(e.studyInstanceUid);
    if (admission?.action === 'ignore') {
      // Kept (QIDO/WADO, retention as for a delivered study) but not processed: nothing to run or deliver.
      this.update(job.id, { state: 'done', readyAt: this.now(), finishedAt: this.now(), routingRule: admission.rule ?? null }, `study ready (${e.reason}); not processed: ${admission.note}`);
      this.log.info('study not processed (routing)', { jobId: job.id, studyInstanceUid: e.studyInstanceUid, rule: admission.rule, why: admission.note });
      return;
    }
    const routed = admission ? { priority: admission.priority, routingRule: admission.rule ?? null } : {};
    this.update(job.id, { state: 'ready', readyAt: this.now(), ...routed }, `study ready (${e.reason})${admission ? `; ${admission.note}` : ''}`);
    this.pump();
  }

  /** The routing decision for a ready study; a failing rule evaluation processes the study rather than losing it. */
  private admission(studyInstanceUid: string): Admission | undefined {
    if (!this.opts.admit) return undefined;
    try {
      return this.opts.admit(studyInstanceUid);
    } catch (err) {
      this.log.error('routing rules could not be evaluated; processing the study', { studyInstanceUid, error: (err as Error).message });
      return undefined;
    }
  }

  private pump(): void {
    if (!this.started || this.closing) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const free = this.opts.concurrency - this.running.size;
    if (free > 0) {
      for (const job of this.jobs.runnable(this.now(), new Set(this.running.keys()), STAGES).slice(0, free)) this.launch(job);
    }
    const wake = this.jobs.nextWakeUp(STAGES);
    if (wake !== undefined) {
      this.wakeTimer = setTimeout(() => this.pump(), Math.max(10, wake - this.now()));
      this.wakeTimer.unref();
    }
  }

  private launch(job: JobRecord): void {
    const controller = new AbortController();
    const done = this.runStages(job, controller.signal)
      .catch((e: unknown) => {
        this.log.error('job runner error', { jobId: job.id, error: (e as Error).message, stack: (e as Error).stack });
      })
      .finally(() => {
        this.running.delete(job.id);
        setImmediate(() => this.pump());
      });
    this.running.set(job.id, { controller, done });
  }

  private async loadOutputs(id: number, before: number): Promise<StageOutputs<M>> {
    const outputs: StageOutputs<M> = {};
    for (const s of STAGES.slice(0, before)) await this.loadOutput(id, s, outputs);
    return outputs;
  }

  private async loadOutput<S extends Stage>(id: number, stage: S, into: StageOutputs<M>): Promise<void> {
    const o = await this.readOutput(id, stage);
    if (o) into[stage] = o.output;
  }

  private async runStages(start: JobRecord, signal: AbortSignal): Promise<void> {
    let job = start;
    const first = job.state === 'ready' ? 0 : STAGES.indexOf(job.state as Stage);
    if (first < 0) return;
    const workDir = join(this.jobDir(job.id), 'work');
    await fsp.mkdir(workDir, { recursive: true });
    for (let i = first; i < STAGES.length; i++) {
      const stage = STAGES[i]!;
      const current = this.jobs.get(job.id);
      if (!current || current.state === 'superseded' || signal.aborted) return;
      job = current.state === stage ? this.update(job.id, { nextAttemptAt: null }) : this.update(job.id, { state: stage, nextAttemptAt: null });
      const attempt = job.attempts + 1;
      const runId = this.jobs.startRun(job.id, stage, attempt, this.now());
      const logger = this.log.child({ jobId: job.id, stage, studyInstanceUid: job.studyInstanceUid });
      const t0 = this.now();
      try {
        const base: RunBase = { job, studyInstanceUid: job.studyInstanceUid, generation: job.generation, store: this.opts.store, workDir, logger, signal, attempt };
        const runner = this.runners.get(stage);
        const output = runner ? await runner(base) : PASS_THROUGH;
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        const envelope = { stage, jobId: job.id, studyInstanceUid: job.studyInstanceUid, generation: job.generation, attempt, startedAt: t0, finishedAt: this.now(), output: output ?? null };
        await writeFileAtomic(join(this.jobDir(job.id), `${stage}.json`), JSON.stringify(envelope, null, 2) + '\n');
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (signal.aborted) {
          this.jobs.finishRun(runId, 'aborted', this.now(), message);
          logger.info('stage aborted', { reason: message });
          return;
        }
        this.jobs.finishRun(runId, 'error', this.now(), e instanceof Error && e.stack ? e.stack : message);
        const attempts = job.attempts + 1;
        const reason = (e as { reason?: unknown })?.reason;
        const lastError = { stage, message, at: this.now(), attempt, ...(typeof reason === 'string' ? { reason } : {}) };
        // An error marked { permanent: true } (e.g. no usable series) cannot be fixed by trying again.
        const permanent = (e as { permanent?: unknown })?.permanent === true;
        if (permanent || attempts >= job.maxAttempts) {
          const why = permanent ? `${stage} failed permanently: ${message}` : `${stage} failed ${attempts} time(s): ${message}`;
          this.update(job.id, { state: 'failed', attempts, lastError, finishedAt: this.now(), nextAttemptAt: null }, why);
          logger.error(permanent ? 'job failed: permanent stage error' : 'job failed: stage kept failing', { attempts, error: message });
        } else {
          const delay = this.backoff(attempts);
          this.update(job.id, { attempts, lastError, nextAttemptAt: this.now() + delay }, `${stage} failed (attempt ${attempt}): ${message}; retry in ${Math.round(delay / 1000)} s`);
          logger.warn('stage failed; will retry', { attempt, retryInMs: delay, error: message });
        }
        return;
      }
      this.jobs.finishRun(runId, 'ok', this.now());
      logger.info('stage done', { ms: this.now() - t0, passThrough: !this.runners.has(stage) });
      if (job.attempts) job = this.update(job.id, { attempts: 0, lastError: null });
    }
    this.update(job.id, { state: 'done', finishedAt: this.now() });
    this.log.info('job done', { jobId: job.id, studyInstanceUid: job.studyInstanceUid, generation: job.generation });
  }
}

/** Registers every handler of `handlers` on `machine`; stages it leaves out pass through. */
export function registerStages<M extends StageOutputMap>(machine: JobMachine<M>, handlers: StageHandlers<M>): void {
  for (const stage of STAGES) registerOne(machine, handlers, stage);
}

function registerOne<M extends StageOutputMap, S extends Stage>(machine: JobMachine<M>, handlers: StageHandlers<M>, stage: S): void {
  const handler = handlers[stage];
  if (handler) machine.registerStage(stage, handler);
}
