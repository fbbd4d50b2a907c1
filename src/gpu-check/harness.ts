/**
 * The GPU check (scripts/gpu-check.sh runs it on a GPU host from a self-contained bundle): the full model with its
 * flip TTA on one case already on the model grid, once per execution provider, in one process. For each provider
 * that starts: first-run and steady timings, peak GPU memory (nvidia-smi, when present) and parity against the CPU
 * run (src/ai/parity.ts). A provider that does not start is reported with onnxruntime's reason; the check goes on.
 *
 *   node harness.js --model models/glioma-mtl --case <dir> [--providers webgpu,cpu,cuda] [--steady 3] [--json out.json]
 *   node harness.js --list-modules   (prints every file this script loads: the bundle's contents)
 *
 * Exit status: 0 when every started GPU provider is within the parity tolerances, 1 when one is not, 2 for bad
 * arguments or when the CPU reference cannot run.
 */
import { writeFileSync } from 'node:fs';
import { runModel, type GridInput, type ModelRun } from '../ai/inference';
import { compareRuns, formatParity, type ParityReport, type ParityRun } from '../ai/parity';
import { EXECUTION_PROVIDERS, type ExecutionProviderName } from '../ai/providers';
import { loadPackage } from '../ai/registry';
import { probeProviders, providerUnavailable } from '../ai/runtime';
import { readGridCase } from './grid-case';
import { startGpuMemorySampler } from './gpu-memory';

export interface ProviderResult {
  provider: ExecutionProviderName;
  started: boolean;
  /** Why it did not start (onnxruntime's message, or the missing library). */
  reason?: string;
  /** Session creation, ms. */
  sessionMs?: number;
  firstRunMs?: number;
  /** Median of the steady runs, ms (the engine's whole run: all TTA passes, blending, argmax). */
  steadyMs?: number;
  steadyRunsMs?: number[];
  forwards?: number;
  gpuMemory?: { gpu?: string; baselineMiB?: number; peakMiB?: number; why?: string };
  parity?: ParityReport;
}

export interface GpuCheckReport {
  model: string;
  caseId: string;
  dims: number[];
  tta: boolean;
  nodejs: string;
  results: ProviderResult[];
}

interface Args {
  model: string;
  case: string;
  providers: ExecutionProviderName[];
  steady: number;
  json?: string;
  threads: number;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const model = get('--model');
  const dir = get('--case');
  if (!model || !dir) throw new Error('usage: harness.js --model <package dir> --case <grid case dir> [--providers webgpu,cpu,cuda] [--steady N] [--json FILE] [--threads N]');
  const providers = (get('--providers') ?? 'webgpu,cpu,cuda').split(',').map((p) => p.trim());
  for (const p of providers) if (!(EXECUTION_PROVIDERS as readonly string[]).includes(p)) throw new Error(`--providers: unknown provider "${p}" (${EXECUTION_PROVIDERS.join(', ')})`);
  const steady = Number(get('--steady') ?? 3);
  const threads = Number(get('--threads') ?? 0);
  if (!Number.isInteger(steady) || steady < 0) throw new Error('--steady: a whole number >= 0');
  if (!Number.isInteger(threads) || threads < 0) throw new Error('--threads: a whole number >= 0');
  const json = get('--json');
  return { model, case: dir, providers: providers as ExecutionProviderName[], steady, threads, ...(json ? { json } : {}) };
}

export function parityRun(run: ModelRun): ParityRun {
  return {
    probabilities: run.segmentation?.probabilities ?? [],
    labels: run.segmentation?.labels ?? new Uint8Array(0),
    heads: run.heads.map((h) => h.classes.map((c) => c.probability)),
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

/** Runs the model on `grid` with one provider; the run itself is returned for parity. */
export async function runProvider(modelDir: string, grid: GridInput, provider: ExecutionProviderName, steady: number, threads: number): Promise<{ result: ProviderResult; run?: ModelRun }> {
  const absent = providerUnavailable(provider);
  if (absent) return { result: { provider, started: false, reason: absent } };
  // Sampling starts before the session, so the baseline excludes the session and the GPU context it creates.
  const sampler = provider === 'cpu' ? undefined : startGpuMemorySampler();
  const t0 = performance.now();
  let model;
  try {
    model = await loadPackage(modelDir, { executionProviders: [provider], intraOpNumThreads: threads, interOpNumThreads: 1 });
  } catch (e) {
    sampler?.stop();
    return { result: { provider, started: false, reason: (e as Error).message.replace(/^.*?: no execution provider could load \S+: [a-z]+: /, '') } };
  }
  const sessionMs = performance.now() - t0;
  try {
    let t = performance.now();
    const run = await runModel(model, grid, { tta: true });
    const firstRunMs = performance.now() - t;
    const steadyRunsMs: number[] = [];
    for (let i = 0; i < steady; i++) {
      t = performance.now();
      await runModel(model, grid, { tta: true });
      steadyRunsMs.push(performance.now() - t);
    }
    const result: ProviderResult = {
      provider,
      started: true,
      sessionMs,
      firstRunMs,
      ...(steadyRunsMs.length ? { steadyMs: median(steadyRunsMs), steadyRunsMs } : {}),
      forwards: run.forwardCount,
    };
    if (sampler) result.gpuMemory = sampler.stop();
    return { result, run };
  } finally {
    sampler?.stop(); // again after an error: stopping twice is harmless
    await model.session.release().catch(() => undefined);
  }
}

export async function gpuCheck(args: Args, say: (line: string) => void): Promise<GpuCheckReport> {
  const grid = readGridCase(args.case);
  say(`case ${grid.id}: grid ${grid.dims.join('x')}, channels ${Object.keys(grid.channels).join(',')}; model ${args.model}; flip TTA on; Node.js ${process.version}`);
  const order: ExecutionProviderName[] = ['cpu', ...args.providers.filter((p) => p !== 'cpu')];
  const probes = await probeProviders(order);
  say(`providers that start on this host: ${probes.filter((p) => p.started).map((p) => p.name).join(', ') || 'none'}${probes.filter((p) => !p.started).map((p) => `; ${p.name}: ${p.reason}`).join('')}`);
  const results: ProviderResult[] = [];
  let reference: ModelRun | undefined;
  for (const p of order) {
    const { result, run } = await runProvider(args.model, grid, p, args.steady, args.threads);
    if (p === 'cpu') reference = run;
    else if (run && reference) result.parity = compareRuns(parityRun(reference), parityRun(run));
    results.push(result);
    if (!result.started) {
      say(`${p}: NOT STARTED: ${result.reason}`);
      continue;
    }
    const mem = result.gpuMemory ? (result.gpuMemory.peakMiB !== undefined ? `; GPU ${result.gpuMemory.gpu}: peak ${result.gpuMemory.peakMiB} MiB used (${result.gpuMemory.baselineMiB} MiB before)` : `; GPU memory: ${result.gpuMemory.why}`) : '';
    say(`${p}: session ${result.sessionMs!.toFixed(0)} ms, first run ${result.firstRunMs!.toFixed(0)} ms, steady ${result.steadyMs !== undefined ? `${result.steadyMs.toFixed(0)} ms (median of ${result.steadyRunsMs!.length})` : 'not measured'}, ${result.forwards} forwards${mem}`);
    if (result.parity) say(`${p} vs cpu parity ${formatParity(result.parity)}`);
  }
  const cpu = results.find((r) => r.provider === 'cpu');
  for (const r of results.filter((x) => x.provider !== 'cpu' && x.started && x.steadyMs !== undefined && cpu?.steadyMs)) {
    say(`${r.provider}: ${(cpu!.steadyMs! / r.steadyMs!).toFixed(2)}x the CPU speed (steady, same run)`);
  }
  return { model: args.model, caseId: grid.id, dims: [...grid.dims], tta: true, nodejs: process.version, results };
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--list-modules')) {
    process.stdout.write(Object.keys(require.cache).join('\n') + '\n');
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`gpu-check: ${(e as Error).message}\n`);
    return 2;
  }
  const report = await gpuCheck(args, (l) => process.stdout.write(`gpu-check: ${l}\n`));
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
  if (!report.results.find((r) => r.provider === 'cpu')?.started) {
    process.stdout.write('gpu-check: FAILED: the CPU reference did not run\n');
    return 2;
  }
  const bad = report.results.filter((r) => r.parity && !r.parity.pass);
  const gpus = report.results.filter((r) => r.provider !== 'cpu' && r.started);
  process.stdout.write(
    bad.length
      ? `gpu-check: FAILED: parity outside tolerance on ${bad.map((r) => r.provider).join(', ')}\n`
      : gpus.length
        ? `gpu-check: OK: ${gpus.map((r) => r.provider).join(', ')} within parity tolerances\n`
        : 'gpu-check: no GPU provider started; CPU only (see the reasons above)\n',
  );
  return bad.length ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`gpu-check: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(2);
    },
  );
}
