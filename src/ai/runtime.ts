/**
 * onnxruntime-node sessions and the device queue.
 *
 * Execution providers are tried one at a time in the configured order (default cuda, then webgpu, then cpu):
 * onnxruntime fails the whole session when a listed provider cannot start (our npm build ships no CUDA provider on
 * most hosts; WebGPU needs a Vulkan driver with an adapter Dawn accepts), so a list like ['cuda','cpu'] passed in one
 * go would not fall back. The provider that loaded is logged and recorded in Findings.model.executionProvider.
 *
 * A provider that cannot start on this host is remembered for the life of the process: it is logged once, with its
 * reason, and not tried again for the next model package (each attempt costs start-up time, and Dawn prints its own
 * warnings on stderr for a failed WebGPU adapter).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Logger } from '../log/logger';
import { identityModel } from './probe-model';
import { nativeCall, NodeStoppingError } from './native-gate';
import type { ExecutionProviderName } from './providers';

export type { ExecutionProviderName } from './providers';

/** WebGPU provider options the Node binding of onnxruntime 1.30 accepts (it rejects a deviceId for webgpu). */
export interface WebGpuOptions {
  /** Layout for layout-sensitive operators (Conv): onnxruntime's default is NCHW. */
  preferredLayout?: 'NCHW' | 'NHWC';
}

export interface SessionOptions {
  executionProviders: readonly ExecutionProviderName[];
  /** 0 = onnxruntime's default (all cores). */
  intraOpNumThreads: number;
  interOpNumThreads?: number;
  webgpu?: WebGpuOptions;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProviderName;
  /** Why earlier providers were skipped, e.g. "cuda: Failed to load shared library". */
  fallbacks: string[];
}

function ortBinDirs(): string[] {
  const binRoot = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin');
  return readdirSync(binRoot).map((napi) => join(binRoot, napi, process.platform, process.arch));
}

/** Folders the dynamic loader searches for a library named without a path (LD_LIBRARY_PATH, ld.so.conf, defaults). */
export function librarySearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const confDir = '/etc/ld.so.conf.d';
  try {
    for (const f of readdirSync(confDir).filter((n) => n.endsWith('.conf'))) {
      for (const line of readFileSync(join(confDir, f), 'utf8').split('\n')) {
        const d = line.trim();
        if (d.startsWith('/')) dirs.push(d);
      }
    }
  } catch {
    // no ld.so.conf.d (not glibc Linux): the defaults below
  }
  dirs.push('/lib', '/usr/lib', '/lib64', '/usr/lib64', `/lib/${process.arch === 'x64' ? 'x86_64' : 'aarch64'}-linux-gnu`, `/usr/lib/${process.arch === 'x64' ? 'x86_64' : 'aarch64'}-linux-gnu`);
  return dirs;
}

/**
 * Why a provider cannot load on this host, or undefined when it may. Checked without onnxruntime, so that a host
 * that plainly lacks a provider gets no native error output:
 *  - cuda: onnxruntime-node loads libonnxruntime_providers_cuda.so from beside its binding;
 *  - webgpu: Dawn (inside libonnxruntime.so.1 on Linux x64) runs on Vulkan and dlopens libvulkan.so.1.
 */
export function providerUnavailable(ep: ExecutionProviderName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (ep === 'cpu') return undefined;
  if (ep === 'webgpu') {
    if (process.platform !== 'linux') return undefined; // Windows (D3D12) and macOS (Metal): let onnxruntime try
    if (!ort.listSupportedBackends().some((b) => b.name === 'webgpu')) return 'this onnxruntime-node build has no WebGPU provider';
    return librarySearchPath(env).some((d) => existsSync(join(d, 'libvulkan.so.1')))
      ? undefined
      : 'libvulkan.so.1 (the Vulkan loader) is not installed';
  }
  try {
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!ortBinDirs().some((d) => existsSync(join(d, lib)))) return `${lib} is not installed with onnxruntime-node`;
  } catch {
    return undefined; // unknown layout: let onnxruntime try
  }
  return undefined;
}

/** Providers that failed to start in this process, with why (host-wide failures only, see hostWide). */
const failedProviders = new Map<ExecutionProviderName, string>();

/**
 * Whether a session error says the provider cannot start on this host at all (then later models skip it), rather
 * than that it cannot run this one model (then the next model tries again).
 */
export function hostWide(message: string): boolean {
  return /WebGPU adapter|Failed to load( shared)? library|not installed|cannot open shared object|CUDA driver|no CUDA-capable device/i.test(message);
}

/** Forgets providers that failed earlier in this process (tests). */
export function resetProviderFailures(): void {
  failedProviders.clear();
}

/** The session options onnxruntime gets for one provider (pure). */
export function providerSessionOptions(ep: ExecutionProviderName, opts: SessionOptions): ort.InferenceSession.SessionOptions {
  const provider: ort.InferenceSession.ExecutionProviderConfig =
    ep === 'webgpu' && opts.webgpu?.preferredLayout ? { name: 'webgpu', preferredLayout: opts.webgpu.preferredLayout } : ep;
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // A missing GPU provider is expected on CPU hosts: keep onnxruntime's own console quiet (we log it).
    logSeverityLevel: ep === 'cpu' ? 2 : 4,
  };
  // onnxruntime-node rejects undefined thread counts: set them only when configured.
  if (opts.intraOpNumThreads) options.intraOpNumThreads = opts.intraOpNumThreads;
  if (opts.interOpNumThreads) options.interOpNumThreads = opts.interOpNumThreads;
  return options;
}

/** Every run and the release of this session go through the native-call gate (native-gate.ts: a worker stops between calls). */
function gateRuns(session: ort.InferenceSession): void {
  const run = session.run.bind(session) as (...a: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
  session.run = ((...a: unknown[]) => nativeCall('a model run', () => run(...a))) as typeof session.run;
  const release = session.release.bind(session);
  session.release = () => nativeCall('releasing a model session', release);
}

/** Creates a session on the first provider that loads. Throws with every provider's error when none does. */
export async function openSession(modelPath: string | Uint8Array, opts: SessionOptions, log?: Logger): Promise<OpenedSession> {
  const model = typeof modelPath === 'string' ? modelPath : 'in-memory model';
  const fallbacks: string[] = [];
  for (const ep of opts.executionProviders) {
    const known = failedProviders.get(ep);
    if (known) {
      fallbacks.push(`${ep}: ${known}`); // logged when it first failed
      continue;
    }
    const absent = providerUnavailable(ep);
    if (absent) {
      failedProviders.set(ep, absent);
      fallbacks.push(`${ep}: ${absent}`);
      log?.info(`execution provider ${ep} unavailable, trying the next one`, { model, error: absent });
      continue;
    }
    const started = performance.now();
    try {
      const o = providerSessionOptions(ep, opts);
      const session = await nativeCall('opening a model session', () =>
        typeof modelPath === 'string' ? ort.InferenceSession.create(modelPath, o) : ort.InferenceSession.create(modelPath, o),
      );
      gateRuns(session);
      if (fallbacks.length) {
        log?.warn(`execution provider ${ep} in use after fallback`, { model, fallbacks });
      } else {
        log?.info(`execution provider ${ep} in use`, { model: modelPath });
      }
      return { session, executionProvider: ep, fallbacks };
    } catch (e) {
      // The worker is being stopped: not a provider failure, and no other provider should be tried.
      if (e instanceof NodeStoppingError) throw e;
      // onnxruntime's message starts with its source location: keep the sentence that says what went wrong.
      const msg = (e as Error).message.split('\n')[0]!.replace(/^.*was false\. /, '');
      fallbacks.push(`${ep}: ${msg}`);
      if (hostWide(msg)) failedProviders.set(ep, msg);
      log?.info(`execution provider ${ep} unavailable, trying the next one`, { model, error: msg, ms: Math.round(performance.now() - started) });
    }
  }
  throw new Error(`no execution provider could load ${model}: ${fallbacks.join('; ') || 'none configured'}`);
}

export interface ProviderProbe {
  name: ExecutionProviderName;
  started: boolean;
  /** Why it did not start. */
  reason?: string;
}

/**
 * Starts each provider on a one-node model and reports which start on this host (`--version`, the GPU check). Costs
 * what a failed attempt costs at start-up (a few ms to a few hundred for a WebGPU adapter search).
 */
export async function probeProviders(eps: readonly ExecutionProviderName[], opts: Omit<SessionOptions, 'executionProviders'> = { intraOpNumThreads: 1 }): Promise<ProviderProbe[]> {
  const out: ProviderProbe[] = [];
  for (const name of eps) {
    try {
      const s = await openSession(identityModel(), { ...opts, executionProviders: [name] });
      await s.session.release();
      out.push({ name, started: true });
    } catch (e) {
      out.push({ name, started: false, reason: (e as Error).message.replace(/^no execution provider could load in-memory model: [a-z]+: /, '') });
    }
  }
  return out;
}

/**
 * A FIFO queue per device: at most `concurrency` jobs run on one device at a time (default 1), so concurrent
 * studies do not oversubscribe one CPU or GPU. Jobs for different devices do not wait for each other.
 */
export class DeviceQueue {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly concurrency = 1) {
    if (!(concurrency >= 1)) throw new Error('DeviceQueue concurrency must be >= 1');
  }

  /** Jobs waiting (not yet started) for a device. */
  pending(device: string): number {
    return this.waiting.get(device)?.length ?? 0;
  }

  active(device: string): number {
    return this.running.get(device) ?? 0;
  }

  async run<T>(device: string, job: () => Promise<T>): Promise<T> {
    await this.acquire(device);
    try {
      return await job();
    } finally {
      this.release(device);
    }
  }

  private acquire(device: string): Promise<void> {
    const n = this.running.get(device) ?? 0;
    if (n < this.concurrency) {
      this.running.set(device, n + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const q = this.waiting.get(device) ?? [];
      q.push(() => {
        this.running.set(device, (this.running.get(device) ?? 0) + 1);
        resolve();
      });
      this.waiting.set(device, q);
    });
  }

  private release(device: string): void {
    this.running.set(device, (this.running.get(device) ?? 1) - 1);
    const next = this.waiting.get(device)?.shift();
    if (next) next();
  }
}
