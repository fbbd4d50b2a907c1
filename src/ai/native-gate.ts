/**
 * Keeps a worker thread's shutdown away from onnxruntime's native calls.
 *
 * Why: onnxruntime-node runs `session.run` (and session creation) synchronously in native code on the calling
 * thread. `worker.terminate()` cannot interrupt that call; when it returns, the binding builds its result in a
 * JavaScript environment that is being torn down, throws a C++ `Napi::Error` nobody catches, and the whole process
 * aborts (SIGABRT, "terminate called after throwing an instance of 'Napi::Error'"). Seen as a crash on SIGTERM while
 * a model ran.
 *
 * So the pool and each worker share two counters: the pool raises `stop`, then waits until `inside` is 0 before it
 * terminates the worker; the worker refuses to start a native call once `stop` is raised. A native call already
 * running is allowed to return (one patch of one model: seconds at most), the rest of the task is not waited for.
 */

const STOP = 0;
const INSIDE = 1;

/** Thrown in a worker that is being stopped, instead of starting another native call. */
export class NodeStoppingError extends Error {
  constructor(what: string) {
    super(`the node is stopping: ${what} was not started`);
    this.name = 'NodeStoppingError';
  }
}

/** Gates of this process's live workers (a pool adds one per worker and drops it when the worker is gone). */
const live = new Set<NativeGate>();

/** The shared counters of one worker, as the pool (owner) sees them. */
export class NativeGate {
  readonly buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  private readonly cells = new Int32Array(this.buffer);

  constructor() {
    live.add(this);
  }

  /** The worker is gone: nothing to wait for at exit. */
  dispose(): void {
    live.delete(this);
  }

  /** No native call starts after this. */
  requestStop(): void {
    Atomics.store(this.cells, STOP, 1);
  }

  /** Native calls running now in the worker (0 or 1 in practice). */
  get inside(): number {
    return Atomics.load(this.cells, INSIDE);
  }

  /** Resolves true once no native call is running, or false after `timeoutMs` (the caller then stops anyway). */
  async whenOutside(timeoutMs: number, pollMs = 10): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.inside > 0) {
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return true;
  }
}

/**
 * Before `process.exit` on a path that skips the pools' close (a second stop signal, a failed shutdown): Node stops
 * every worker on exit, so a worker inside a native call would abort the process there too. Raises stop on every
 * live gate and waits up to `timeoutMs` for the calls in flight. Resolves false when one was still running.
 */
export async function stopNativeCalls(timeoutMs: number): Promise<boolean> {
  const gates = [...live];
  for (const g of gates) g.requestStop();
  const results = await Promise.all(gates.map((g) => g.whenOutside(timeoutMs)));
  return results.every(Boolean);
}

/** This thread's side of the gate (set by a pipeline worker at start; the event-loop thread has none). */
let cells: Int32Array | undefined;

export function installNativeGate(buffer: SharedArrayBuffer): void {
  cells = new Int32Array(buffer);
}

/** Runs one native onnxruntime call under the gate: counted while it runs, refused once a stop is requested. */
export async function nativeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  const c = cells;
  if (!c) return call();
  // Count first, then check: a stop raised after the check waits for this call (see whenOutside).
  Atomics.add(c, INSIDE, 1);
  try {
    if (Atomics.load(c, STOP)) throw new NodeStoppingError(what);
    return await call();
  } finally {
    Atomics.sub(c, INSIDE, 1);
  }
}
