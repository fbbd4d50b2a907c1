/**
 * Peak GPU memory while something runs, sampled with nvidia-smi every 100 ms (the only tool an NVIDIA host has
 * without CUDA libraries in this process). Absent nvidia-smi: reports why, never fails the check.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface GpuMemorySampler {
  /** Peak memory.used in MiB over the sampling (absolute) and what was in use before it started; no figures without nvidia-smi. */
  stop(): { peakMiB?: number; baselineMiB?: number; gpu?: string; why?: string };
}

/** "NVIDIA H100 80GB HBM3, 1234" lines -> the first GPU's name and used MiB. */
export function parseNvidiaSmi(line: string): { gpu: string; usedMiB: number } | undefined {
  const m = /^(.+?),\s*(\d+)\s*$/.exec(line.trim());
  return m ? { gpu: m[1]!, usedMiB: Number(m[2]) } : undefined;
}

export function startGpuMemorySampler(): GpuMemorySampler {
  const query = ['--query-gpu=name,memory.used', '--format=csv,noheader,nounits'];
  const first = spawnSync('nvidia-smi', query, { encoding: 'utf8' });
  if (first.error || first.status !== 0) {
    const why = first.error ? `nvidia-smi not available (${(first.error as NodeJS.ErrnoException).code ?? first.error.message})` : `nvidia-smi exited ${first.status}`;
    return { stop: () => ({ why }) };
  }
  const base = parseNvidiaSmi(first.stdout.split('\n')[0] ?? '');
  let peak = base?.usedMiB ?? 0;
  const proc = spawn('nvidia-smi', [...query, '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
  proc.stdout.setEncoding('utf8');
  let buf = '';
  proc.stdout.on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      const s = parseNvidiaSmi(l);
      if (s && s.gpu === base?.gpu) peak = Math.max(peak, s.usedMiB);
    }
  });
  proc.on('error', () => undefined);
  return {
    stop: () => {
      if (proc.exitCode === null && !proc.killed) proc.kill();
      return { ...(base ? { gpu: base.gpu, baselineMiB: base.usedMiB, peakMiB: peak } : { why: 'nvidia-smi printed no GPU' }) };
    },
  };
}
