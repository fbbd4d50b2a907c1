/**
 * onnxruntime-node sessions and the device queue.
 *
 * Execution providers are tried one at a time in the configured order (default cuda, then cpu): onnxruntime fails
 * the whole session when a listed provider's library is absent (our npm build ships no CUDA provider on most hosts),
 * so a list like ['cuda','cpu'] passed in one go would not fall back. The provider that loaded is logged and
 * recorded in Findings.model.executionProvider.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Logger } from '../log/logger';

export type ExecutionProviderName = 'cuda' | 'cpu';

export interface SessionOptions {
  executionProviders: readonly ExecutionProviderName[];
  /** 0 = onnxruntime's default (all cores). */
  intraOpNumThreads: number;
  interOpNumThreads?: number;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProviderName;
  /** Why earlier providers were skipped, e.g. "cuda: Failed to load shared library". */
  fallbacks: string[];
}

/**
 * Why a provider cannot load on this host, or undefined when it may. onnxruntime-node loads the CUDA provider from
 * libonnxruntime_providers_cuda.so next to its binding; when the file is absent we skip the attempt (onnxruntime
 * would print a native error on the console for it).
 */
export function providerUnavailable(ep: ExecutionProviderName): string | undefined {
  if (ep === 'cpu') return undefined;
  try {
    const binRoot = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin');
    const dirs = readdirSync(binRoot).map((napi) => join(binRoot, napi, process.platform, process.arch));
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!dirs.some((d) => existsSync(join(d, lib)))) return `${lib} is not installed with onnxruntime-node`;
  } catch {
    return undefined; // unknown layout: let onnxruntime try
  }
  return undefined;
}

/** Creates a session on the first provider that loads. Throws with every provider's error when none does. */
export async function openSession(modelPath: string, opts: SessionOptions, log?: Logger): Promise<OpenedSession> {
  const fallbacks: string[] = [];
  for (const ep of opts.executionProviders) {
    const absent = providerUnavailable(ep);
    if (absent) {
      fallbacks.push(`${ep}: ${absent}`);
      log?.info(`execution provider ${ep} unavailable, trying the next one`, { model: modelPath, error: absent });
      continue;
    }
    try {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        // A missing CUDA library is expected on CPU hosts: keep onnxruntime's own console quiet (we log it below).
        logSeverityLevel: ep === 'cpu' ? 2 : 4,
      };
      // onnxruntime-node rejects undefined thread counts: set them only when configured.
      if (opts.intraOpNumThreads) options.intraOpNumThreads = opts.intraOpNumThreads;
      if (opts.interOpNumThreads) options.interOpNumThreads = opts.interOpNumThreads;
      const session = await ort.InferenceSession.create(modelPath, options);
      if (fallbacks.length) {
        log?.warn(`execution provider ${ep} in use after fallback`, { model: modelPath, fallbacks });
      } else {
        log?.info(`execution provider ${ep} in use`, { model: modelPath });
      }
      return { session, executionProvider: ep, fallbacks };
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0]!;
      fallbacks.push(`${ep}: ${msg}`);
      log?.info(`execution provider ${ep} unavailable, trying the next one`, { model: modelPath, error: msg });
    }
  }
  throw new Error(`no execution provider could load ${modelPath}: ${fallbacks.join('; ') || 'none configured'}`);
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
