/**
 * S8: is the node responsive while it processes a study? The real node (`serve`, a child process)
 * runs the benchmark U-Net (test/fixtures/models/bench-unet, 96x112x96 grid, 12 windows, no TTA, with
 * post-processing, inverse mapping, radiomics and SEG/SR encoding) on a synthetic study, while /healthz, GET
 * /api/jobs/{id} and small STOW-RS requests (one new 64x64 instance each) are sent back to back.
 * Reported: p50/p99 latency when idle and while the study is in its preprocessing, inferring and encoding stages,
 * for the node as configured (pipeline.workers = 1: stage work in a worker thread) and, as the diagnostic
 * subject, pipeline.workers = 0 (the same work on the event loop, as before worker threads).
 * Target: p99 of /healthz and of the small STOW while a study is inferring < 100 ms.
 * One processing run per subject (each gives hundreds of samples; `repeat` does not apply).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesiseStudy } from '../../synth/study';
import { latencySummary, probeLatency, submitStudy, type LatencySample } from '../../testing/latency-probe';
import { summarise, type BenchContext, type BenchMeasurement, type BenchRatio, type BenchResult, type BenchScenario } from '../types';
import { stopChild, waitListening } from './s1-stow-ingest';
import { BENCH_MODEL_DIR } from './s5-inference';

const TARGET_MS = 100;

async function startNode(dir: string, workers: number): Promise<{ child: ChildProcess; url: string }> {
  mkdirSync(join(dir, 'models'), { recursive: true });
  symlinkSync(BENCH_MODEL_DIR, join(dir, 'models', 'bench-unet'));
  const cfg = join(dir, 'node.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      node: { dataDir: join(dir, 'var') },
      http: { host: '127.0.0.1', port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 3600 },
      models: { dir: join(dir, 'models'), routing: [{ model: 'bench-unet', whenRoles: ['flair'] }], testTimeAugmentation: false, modalityImportance: false },
      pipeline: { workers },
    }),
  );
  const cli = join(__dirname, '..', '..', 'cli', 'main.js');
  const child = spawn(process.execPath, [cli, '--config', cfg, 'serve'], { env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, url: await waitListening(child, 'the node') };
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const measurements: BenchMeasurement[] = [];
  const ratios: BenchRatio[] = [];
  const notes: string[] = [];
  const study = await synthesiseStudy({ tumor: 'gbm', seed: 'bench-s8', vendor: 'siemens', size: 'small', distractors: 'none' });
  const parts = study.files.map((f) => f.buffer);
  for (const [subject, workers] of [['node', 1], ['node-workers0', 0]] as const) {
    const { child, url } = await startNode(join(ctx.workDir, subject), workers);
    try {
      const idle = (await probeLatency(url, { idleSamples: 300, seed: `s8-idle-${subject}`, stowEvery: 3 })).samples;
      const jobId = await submitStudy(url, parts, study.study.studyInstanceUid);
      const busy = await probeLatency(url, { jobId, seed: `s8-busy-${subject}`, stowEvery: 3 });
      if (busy.finalState !== 'done') notes.push(`${subject}: the job ended ${busy.finalState}`);
      const groups: Array<[string, LatencySample[]]> = [
        ['idle', idle],
        ['inferring', busy.samples.filter((s) => s.state === 'inferring')],
        ['preprocess+infer+encode', busy.samples.filter((s) => ['preprocessing', 'inferring', 'encoding'].includes(s.state))],
      ];
      for (const [when, samples] of groups) {
        const sum = latencySummary(samples);
        for (const kind of ['healthz', 'job', 'stow'] as const) {
          const xs = samples.filter((s) => s.kind === kind).map((s) => s.ms);
          if (!xs.length) continue;
          measurements.push(summarise(`${kind} latency, ${when}`, subject, 'ms', xs));
          ctx.log(`${subject} ${kind.padEnd(7)} ${when.padEnd(24)} n=${sum[kind].n} p50 ${sum[kind].p50.toFixed(1)} ms, p99 ${sum[kind].p99.toFixed(1)} ms, max ${sum[kind].max.toFixed(1)} ms`);
          if (when !== 'preprocess+infer+encode' && kind !== 'job') {
            ratios.push({ label: `${subject} ${kind} p99 ms, ${when}`, value: sum[kind].p99, ...(when === 'inferring' && subject === 'node' ? { target: `< ${TARGET_MS}`, pass: sum[kind].p99 < TARGET_MS } : {}) });
          }
        }
      }
    } finally {
      await stopChild(child);
    }
  }
  notes.push('node-workers0 is the same node with pipeline.workers = 0 (stage work on the event loop): the figures before worker threads');
  return { measurements, ratios, notes };
}

export const scenario: BenchScenario = {
  name: 'S8-responsiveness',
  description: 'p99 latency of /healthz, the jobs API and a small STOW-RS while a study is inferring, against idle',
  run,
};
