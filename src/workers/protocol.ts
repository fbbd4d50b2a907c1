/**
 * The one message protocol between the event-loop thread and the pipeline's worker threads (pool.ts, worker-main.ts).
 * Every message is structured-cloneable; bulky data stays in files (see src/pipeline/stage-work.ts).
 */
import type { Config } from '../config/schema';
import type { EncodeArgs, EncodeResult, InferArgs, InferResult, PrepareArgs, PrepareResult } from '../pipeline/stage-work';

export interface TaskTypes {
  prepare: { args: PrepareArgs; result: PrepareResult };
  infer: { args: InferArgs; result: InferResult };
  encode: { args: EncodeArgs; result: EncodeResult };
}
export type TaskName = keyof TaskTypes;

/** workerData of every worker: the node's configuration (models are loaded from config.models in the worker). */
export interface WorkerInit {
  config: Config;
}

/** workerData as one worker receives it: the init and that worker's own native-call gate (src/ai/native-gate.ts). */
export interface WorkerData extends WorkerInit {
  gate: SharedArrayBuffer;
}

/** An error as it crosses the boundary: typed errors keep their machine-readable reason and permanence. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  reason?: string;
  permanent?: boolean;
}

export type ToWorker = { type: 'task'; id: number; task: TaskName; args: TaskTypes[TaskName]['args'] };

export type FromWorker =
  | { type: 'ready'; models: string[] }
  /** A log line of a task (id) or of the worker itself (id 0), forwarded to the job's logger. */
  | { type: 'log'; id: number; level: string; message: string; meta: Record<string, unknown> }
  | { type: 'done'; id: number; result: TaskTypes[TaskName]['result'] }
  | { type: 'failed'; id: number; error: WireError };

export function toWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const r = err as Error & { reason?: unknown; permanent?: unknown };
  return {
    name: err.name,
    message: err.message,
    ...(err.stack ? { stack: err.stack } : {}),
    ...(typeof r.reason === 'string' ? { reason: r.reason } : {}),
    ...(r.permanent === true ? { permanent: true } : {}),
  };
}

/** Rebuilds an Error the stage handlers and the job machine read the same way as the original (reason, permanent). */
export function fromWire(w: WireError): Error {
  const e = Object.assign(new Error(w.message), { ...(w.reason ? { reason: w.reason } : {}), ...(w.permanent ? { permanent: true } : {}) });
  e.name = w.name;
  if (w.stack) e.stack = w.stack;
  return e;
}
