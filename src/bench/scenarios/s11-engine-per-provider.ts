/**
 * S11: the engine per execution provider. The shipped glioma-mtl with its flip TTA (8 forwards) on one synthetic
 * case already on the model grid, once per provider that starts on this machine (cuda, webgpu, cpu), in one run:
 * steady engine time per study, and each GPU provider's speed as a ratio against the CPU measured in the same run,
 * with parity against the CPU (src/ai/parity.ts). Providers that do not start are listed with the reason.
 * Target (issue 17): under 10 s of inference per study on one modern GPU. Not S8: S8 is the node's latency under
 * load (responsiveness), a different question; this one compares devices.
 */
import { join } from 'node:path';
import { compareRuns, formatParity } from '../../ai/parity';
import { EXECUTION_PROVIDERS } from '../../ai/providers';
import { probeProviders } from '../../ai/runtime';
import { parityRun, runProvider } from '../../gpu-check/harness';
import { readGridCase } from '../../gpu-check/grid-case';
import { exportTrainingCase, readPreprocessSpec } from '../../synth/training-export';
import { summarise, type BenchMeasurement, type BenchRatio, type BenchScenario } from '../types';

const MODEL = join(__dirname, '../../../models/glioma-mtl');
const GPU_TARGET_MS = 10_000;

export const scenario: BenchScenario = {
  name: 'S11-engine-per-provider',
  description: 'glioma-mtl with flip TTA on one study per execution provider that starts here; GPU vs CPU in the same run',
  async run(ctx) {
    const measurements: BenchMeasurement[] = [];
    const ratios: BenchRatio[] = [];
    const notes: string[] = [];
    await exportTrainingCase({ outDir: ctx.workDir, count: 1, seed: 'bench-s11', vendors: ['siemens'], tumourMix: [['gbm', 1]], dropProb: 0, size: 'small', spec: readPreprocessSpec(join(MODEL, 'manifest.json')), roundTrip: false }, 0);
    const grid = readGridCase(join(ctx.workDir, 'case-00000'));
    const probes = await probeProviders(EXECUTION_PROVIDERS);
    for (const p of probes.filter((x) => !x.started)) notes.push(`${p.name} did not start: ${p.reason}`);
    // CPU first: the reference for the ratios and for parity.
    const order = probes.filter((p) => p.started).map((p) => p.name).sort((a, b) => (a === 'cpu' ? -1 : b === 'cpu' ? 1 : 0));
    let cpuMs: number | undefined;
    let reference: Awaited<ReturnType<typeof runProvider>>['run'];
    for (const ep of order) {
      ctx.log(`${ep}: loading and running (${ctx.repeat} steady runs after the first)`);
      const { result, run } = await runProvider(MODEL, grid, ep, Math.max(1, ctx.repeat), 0);
      if (!result.started || !result.steadyRunsMs) {
        notes.push(`${ep} did not start: ${result.reason}`);
        continue;
      }
      const m = summarise(`engine per study (glioma-mtl, 8 TTA passes), ${ep}`, ep, 'ms', result.steadyRunsMs);
      measurements.push(m, summarise(`first run after session start, ${ep}`, ep, 'ms', [result.firstRunMs!]));
      if (result.gpuMemory?.peakMiB !== undefined) notes.push(`${ep} on ${result.gpuMemory.gpu}: peak ${result.gpuMemory.peakMiB} MiB GPU memory used (${result.gpuMemory.baselineMiB} MiB before)`);
      if (ep === 'cpu') {
        cpuMs = m.median;
        reference = run;
        continue;
      }
      if (cpuMs !== undefined) ratios.push({ label: `${ep} speed vs cpu (cpu ms / ${ep} ms, same run)`, value: cpuMs / m.median });
      ratios.push({ label: `${ep} engine per study / 10 s`, value: m.median / GPU_TARGET_MS, target: '<= 1.0', pass: m.median <= GPU_TARGET_MS });
      if (reference && run) notes.push(`${ep} vs cpu parity ${formatParity(compareRuns(parityRun(reference), parityRun(run)))}`);
    }
    if (!order.some((ep) => ep !== 'cpu')) notes.push('no GPU provider started on this machine: GPU inference unmeasured here (docs/performance.md, GPU)');
    return { measurements, ratios, notes };
  },
};
