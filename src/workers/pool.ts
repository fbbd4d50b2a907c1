/**
 * A fixed pool of worker threads for the pipeline's CPU-bound stage work (pipeline.workers), so that a model run,
 * resampling or SEG encoding never blocks the event loop that serves STOW-RS, C-STORE, the API and the pages.
 *
 * One task per worker at a time, FIFO. A worker that dies (native crash, out of memory) fails the task it was
 * running with a retryable error (the job machine retries the stage) and is replaced.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { NativeGate } from '../ai/native-gate';
import type { DeviceQueue } from '../ai/runtime';
import type { ModelRegistry } from '../ai/registry';
import type { Logger } from '../log/logger';
import type { StageWork } from '../pipeline/stage-work';
import { fromWire, type FromWorker, type TaskName, type TaskTypes, type ToWorker, type WorkerData, type WorkerInit } from './protocol';

interface Pending {
  id: number;
  task: TaskName;
  args: TaskTypes[TaskName]['args'];
  log: Logger;
  resolve: (r: TaskTypes[TaskName]['result']) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Shared with the worker: close() stops it only between onnxruntime's native calls. */
  gate: NativeGate;
  ready: boolean;
  current?: Pending;
}

const RESPAWN_DELAY_MS = 1000;

/**
 * Spawns the worker entry next to this module: compiled JavaScript in dist/, or, when running from the TypeScript
 * sources (jest, which transforms with SWC), the same SWC transform registered in the worker first.
 */
function spawnWorker(init: WorkerData): Worker {
  const ext = extname(__filename);
  const entry = join(__dirname, `worker-main${ext}`);
  if (ext !== '.ts') return new Worker(entry, { workerData: init });
  const swc = require.resolve('@swc/core');
  const bootstrap = `
    const { transformSync } = require(${JSON.stringify(swc)});
    const { readFileSync } = require('node:fs');
    require.extensions['.ts'] = (module, filename) => {
      const { code } = transformSync(readFileSync(filename, 'utf8'), { filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
      module._compile(code, filename);
    };
    require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  /**
   * `stopWaitMs`: how long close() waits for a native onnxruntime call in flight (one window: seconds) before it
   * terminates the worker anyway (pipeline.stopWaitSeconds).
   */
  constructor(
    readonly size: number,
    private readonly init: WorkerInit,
    private readonly log: Logger,
    private readonly stopWaitMs = init.config.pipeline.stopWaitSeconds * 1000,
  ) {
    if (!(size >= 1)) throw new Error('WorkerPool size must be >= 1');
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Tasks waiting for a free worker (not counting those running). */
  get waiting(): number {
    return this.queue.length;
  }

  /** onnxruntime native calls (session opening, model runs) running in the workers now. */
  nativeCallsRunning(): number {
    return this.slots.reduce((n, s) => n + s.gate.inside, 0);
  }

  /** Runs a task on the next free worker. Aborting `signal` drops a task that is still waiting (not one running). */
  run<T extends TaskName>(task: T, args: TaskTypes[T]['args'], log: Logger, signal?: AbortSignal): Promise<TaskTypes[T]['result']> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (signal?.aborted) return Promise.reject(new Error(`the ${task} task was aborted before it started`));
    return new Promise((resolve, reject) => {
      const p: Pending = { id: this.nextId++, task, args, log, resolve: resolve, reject };
      this.queue.push(p);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(p);
          if (i < 0) return;
          this.queue.splice(i, 1);
          p.reject(new Error(`the ${task} task was aborted before it started`));
        },
        { once: true },
      );
      this.dispatch();
    });
  }

  /**
   * Stops every worker without waiting for its task: a worker inside a native onnxruntime call is terminated once the
   * call returns (terminating it inside would abort the process, see native-gate.ts), and starts no further call.
   */
  async close(): Promise<void> {
    this.closed = true;
    const stopped = new Error('the worker pool was closed while the task was waiting or running');
    for (const p of this.queue.splice(0)) p.reject(stopped);
    for (const s of this.slots) s.gate.requestStop();
    await Promise.all(
      this.slots.map(async (s) => {
        s.current?.reject(stopped);
        s.current = undefined;
        if (s.gate.inside > 0) {
          this.log.info('waiting for a model run to return before stopping its worker', { threadId: s.worker.threadId });
          if (!(await s.gate.whenOutside(this.stopWaitMs))) {
            this.log.error('a model run did not return within pipeline.stopWaitSeconds; stopping its worker anyway (the process may abort)', {
              threadId: s.worker.threadId,
              waitedMs: this.stopWaitMs,
            });
          }
        }
        await s.worker.terminate();
        s.gate.dispose();
      }),
    );
  }

  private spawn(): Slot {
    const gate = new NativeGate();
    const slot: Slot = { worker: spawnWorker({ ...this.init, gate: gate.buffer }), gate, ready: false };
    slot.worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    slot.worker.on('error', (e) => this.onDeath(slot, `worker thread error: ${e.message}`));
    slot.worker.on('exit', (code) => this.onDeath(slot, `worker thread exited with code ${code}`));
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') {
      slot.ready = true;
      this.log.info('pipeline worker ready', { threadId: slot.worker.threadId, models: m.models });
      this.dispatch();
      return;
    }
    const p = slot.current;
    if (m.type === 'log') {
      const target = p && p.id === m.id ? p.log : this.log;
      target.log(m.level, m.message, m.meta);
      return;
    }
    if (!p || p.id !== m.id) return;
    slot.current = undefined;
    if (m.type === 'done') p.resolve(m.result);
    else p.reject(fromWire(m.error));
    this.dispatch();
  }

  /** 'error' is followed by 'exit': the first one fails the task and replaces the worker. */
  private onDeath(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (this.closed) return;
    this.slots.splice(i, 1);
    const p = slot.current;
    slot.current = undefined;
    this.log.error('pipeline worker stopped; starting a new one', { threadId: slot.worker.threadId, error: why, task: p?.task });
    // Retryable (not permanent): the job machine runs the stage again on the new worker.
    p?.reject(new Error(`${why} while running the ${p.task} task`));
    if (!slot.ready && !this.slots.some((x) => x.ready)) {
      // No worker has started: queued tasks would wait forever on workers that cannot start.
      for (const q of this.queue.splice(0)) q.reject(new Error(`a pipeline worker failed to start: ${why}`));
    }
    void slot.worker.terminate();
    slot.gate.dispose();
    setTimeout(() => {
      if (this.closed) return;
      this.slots.push(this.spawn());
    }, RESPAWN_DELAY_MS).unref();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!this.queue.length) return;
      if (!slot.ready || slot.current) continue;
      const p = this.queue.shift()!;
      slot.current = p;
      const msg: ToWorker = { type: 'task', id: p.id, task: p.task, args: p.args };
      slot.worker.postMessage(msg);
    }
  }
}

/**
 * The pipeline's stage work on a pool. Model runs still take their turn in the device queue (models.
 * concurrencyPerDevice), so several workers do not oversubscribe one CPU or GPU; preparation and encoding do not.
 */
export function pooledWork(pool: WorkerPool, queue: DeviceQueue, registry: ModelRegistry): StageWork {
  return {
    prepare: (args, log, signal) => untilAborted(pool.run('prepare', args, log, signal), signal),
    infer: (args, log, signal) => untilAborted(queue.run(registry.get(args.model)?.executionProvider ?? 'cpu', () => pool.run('infer', args, log, signal)), signal),
    encode: (args, log, signal) => untilAborted(pool.run('encode', args, log, signal), signal),
  };
}

/**
 * Settles like `p`, or rejects with the signal's reason as soon as it aborts. The worker finishes (or, at shutdown,
 * is terminated) on its own; artifacts are written atomically, so an abandoned task leaves nothing half-written.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
