/**
 * The job state machine's public types. One job per study generation:
 *
 *   received -> ready -> identifying -> preprocessing -> inferring -> encoding -> delivering -> done
 *                               \______________ any stage, after pipeline.maxAttempts failures ___/-> failed
 *   any non-terminal state -> superseded (a newer generation of the same study started)
 *
 * Stage handlers are registered from outside (jobs.registerStage). Their output is JSON, persisted in
 * <dataDir>/jobs/<id>/<stage>.json and handed to every later stage as ctx.outputs.
 */
import type { Logger } from '../log/logger';
import type { InstanceStore } from '../store/store';

export const STAGES = ['identifying', 'preprocessing', 'inferring', 'encoding', 'delivering'] as const;
export type Stage = (typeof STAGES)[number];
export type JobState = 'received' | 'ready' | Stage | 'done' | 'failed' | 'superseded';
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['done', 'failed', 'superseded']);

export function isStage(s: string): s is Stage {
  return (STAGES as readonly string[]).includes(s);
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/**
 * Output types per stage. Later issues declare theirs by module augmentation, e.g. in src/series-id:
 *   declare module '../jobs/types' { interface StageOutputMap { identifying: SeriesIdentification } }
 * Stages without a declared type produce and receive plain JSON.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StageOutputMap {}
export type StageOutput<S extends Stage> = S extends keyof StageOutputMap ? StageOutputMap[S] : JsonValue;
export type StageOutputs = { [S in Stage]?: StageOutput<S> };

export interface JobError {
  stage: Stage | 'recovery';
  message: string;
  /** Machine-readable reason when the handler's error carried one (e.g. PermanentStageError.reason). */
  reason?: string;
  /** ms since epoch */
  at: number;
  attempt: number;
}

export interface JobRecord {
  id: number;
  studyInstanceUid: string;
  generation: number;
  state: JobState;
  /** Failed attempts of the current stage (reset when a stage succeeds or on retry). */
  attempts: number;
  maxAttempts: number;
  /** When a failed stage will be tried again (ms since epoch). */
  nextAttemptAt?: number;
  createdAt: number;
  updatedAt: number;
  readyAt?: number;
  finishedAt?: number;
  lastError?: JobError;
  /** Set when a newer generation of the study replaced this job. */
  supersededBy?: number;
  /** Queue order among ready jobs: 0 urgent, 1 high, 2 normal, 3 low (routing rules, docs/routing.md). */
  priority: number;
  /** The routing rule that admitted the job, when rules are configured. */
  routingRule?: string;
}

/** What routing decides for a study once it is ready (src/routing): run it, or keep it without results. */
export interface Admission {
  action: 'process' | 'ignore';
  priority: number;
  rule?: string;
  /** Shown in the job's history. */
  note: string;
}

export interface StageRun {
  id: number;
  jobId: number;
  stage: Stage;
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  /** running; ok; error (handler threw); interrupted (process died mid-stage); aborted (shutdown or superseded) */
  status: 'running' | 'ok' | 'error' | 'interrupted' | 'aborted';
  error?: string;
}

export interface JobEvent {
  at: number;
  from: JobState | null;
  to: JobState;
  note?: string;
}

/** What a stage handler gets. */
export interface StageContext<S extends Stage = Stage> {
  job: JobRecord;
  stage: S;
  studyInstanceUid: string;
  generation: number;
  /** Read the study's instances from here (listInstances, instanceHeaders, readInstance). */
  store: InstanceStore;
  /** Scratch folder of this job (<dataDir>/jobs/<id>/work), shared by its stages and kept for inspection. */
  workDir: string;
  /** Outputs of the stages that already ran for this job. */
  outputs: StageOutputs;
  logger: Logger;
  /** Aborted when the job is superseded or the node shuts down; long work should check it. */
  signal: AbortSignal;
  /** 1-based attempt of this stage. */
  attempt: number;
}

/**
 * A stage handler. Throwing fails this attempt (retried after a back-off up to pipeline.maxAttempts); an error
 * with `permanent: true` (src/pipeline/errors.ts PermanentStageError) fails the job at once.
 */
export type StageHandler<S extends Stage = Stage> = (ctx: StageContext<S>) => Promise<StageOutput<S>>;
