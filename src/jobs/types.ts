/**
 * The job state machine's public types. One job per study generation:
 *
 *   received -> ready -> identifying -> preprocessing -> inferring -> encoding -> delivering -> done
 *                               \______________ any stage, after pipeline.maxAttempts failures ___/-> failed
 *   any non-terminal state -> superseded (a newer generation of the same study started)
 *
 * Stage handlers and the schemas of their outputs are given from outside (a StagePlan). Each output is JSON,
 * persisted in <dataDir>/jobs/<id>/<stage>.json, and handed to every later stage as ctx.outputs after it is read
 * back and parsed with its schema.
 */
import { z } from 'zod';
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
 * What each stage produces: the job machine is generic over this map (JobMachine<M>). The pipeline's map is
 * src/pipeline/stage-outputs.ts PipelineOutputs; a machine driven with plain JSON uses this default.
 */
export type StageOutputMap = { [S in Stage]: unknown };
export type StageOutputs<M extends StageOutputMap = StageOutputMap> = { [S in Stage]?: M[S] };

/** One schema per stage: a stage's output is parsed with it whenever it is read back from <job>/<stage>.json. */
export type StageOutputSchemas<M extends StageOutputMap = StageOutputMap> = { [S in Stage]: z.ZodType<M[S]> };

/** Output of a stage that has no handler: the machine still records the step. */
export const PASS_THROUGH = { passThrough: true } as const;

/** True for the output of a stage that ran without a handler. */
export function isPassThrough(output: unknown): boolean {
  return typeof output === 'object' && output !== null && (output as { passThrough?: unknown }).passThrough === true && Object.keys(output).length === 1;
}

/** Schemas for a machine whose outputs are plain JSON: accepts whatever the file holds. */
export const UNCHECKED_OUTPUTS: StageOutputSchemas = { identifying: z.unknown(), preprocessing: z.unknown(), inferring: z.unknown(), encoding: z.unknown(), delivering: z.unknown() };

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
export interface StageContext<M extends StageOutputMap = StageOutputMap, S extends Stage = Stage> {
  job: JobRecord;
  stage: S;
  studyInstanceUid: string;
  generation: number;
  /** Read the study's instances from here (listInstances, instanceHeaders, readInstance). */
  store: InstanceStore;
  /** Scratch folder of this job (<dataDir>/jobs/<id>/work), shared by its stages and kept for inspection. */
  workDir: string;
  /** Outputs of the stages that already ran for this job, read back from disk and checked. */
  outputs: StageOutputs<M>;
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
export type StageHandler<M extends StageOutputMap = StageOutputMap, S extends Stage = Stage> = (ctx: StageContext<M, S>) => Promise<M[S]>;
export type StageHandlers<M extends StageOutputMap = StageOutputMap> = { [S in Stage]?: StageHandler<M, S> };

/** A machine's stages: the handlers (a stage without one passes through) and the schema of every stage's output. */
export interface StagePlan<M extends StageOutputMap = StageOutputMap> {
  handlers: StageHandlers<M>;
  outputs: StageOutputSchemas<M>;
}
