/**
 * S10: throughput of the distributed mode against the single process, on this machine. The same N studies
 * (copies of one synthetic small study under new UIDs) are STOWed and marked complete at once, and timed until every
 * job is done, for: `serve` (single process, pipeline.workers 1), and a receiver with 1 and with 2 workers
 * (`serve --role receiver|worker`, a real redis-server with AOF). Model: the benchmark U-Net, no TTA, no
 * leave-one-out. Reported: studies per hour per subject, the ratios to the single process, the mean queue wait per job
 * (from /metrics) and the per-stage seconds per job on the workers (the capacity model's input, docs/scale-out.md).
 * On one small machine the workers share its cores: 2 workers can only win what one process leaves idle.
 * One run per subject (`repeat` does not apply).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesiseStudy } from '../../synth/study';
import { withNewUids } from '../../testing/re-uid';
import { submitStudy } from '../../testing/latency-probe';
import { startRedis, type TestRedis } from '../peers/redis';
import { summarise, type BenchMeasurement, type BenchRatio, type BenchScenario } from '../types';
import { stopChild, waitListening } from './s1-stow-ingest';
import { BENCH_MODEL_DIR } from './s5-inference';

const STUDIES = 4;
const CLI = join(__dirname, '..', '..', 'cli', 'main.js');

function config(dir: string, name: string, redis?: TestRedis): string {
  const models = join(dir, 'models');
  mkdirSync(models, { recursive: true });
  try {
    symlinkSync(BENCH_MODEL_DIR, join(models, 'bench-unet'));
  } catch {
    // already linked for an earlier process of this subject
  }
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      node: { dataDir: join(dir, name), name },
      http: { host: '127.0.0.1', port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 3600 },
      models: { dir: models, routing: [{ model: 'bench-unet', whenRoles: ['flair'] }], testTimeAugmentation: false, modalityImportance: false },
      pipeline: { workers: 1 },
      ...(redis ? { cluster: { redisUrl: redis.url, queuePrefix: `bench-${dir.replace(/\W/g, '')}`.slice(0, 40), worker: { name } } } : {}),
    }),
  );
  return file;
}

function serve(file: string, role: string): ChildProcess {
  return spawn(process.execPath, [CLI, '--config', file, 'serve', '--role', role], { env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function waitEvent(child: ChildProcess, event: string, ms = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`"event":"${event}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${event}`)));
  });
}

async function allDone(url: string, ids: number[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const jobs = ((await (await fetch(`${url}/api/jobs?limit=1000`)).json()) as { jobs: Array<{ id: number; state: string; lastError?: { message: string } }> }).jobs;
    const mine = jobs.filter((j) => ids.includes(j.id));
    const failed = mine.find((j) => j.state === 'failed');
    if (failed) throw new Error(`job ${failed.id} failed: ${failed.lastError?.message}`);
    if (mine.length === ids.length && mine.every((j) => j.state === 'done')) return;
    if (Date.now() > until) throw new Error(`jobs not done within ${timeoutMs} ms: ${mine.map((j) => j.state).join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sum and count of a metric's samples in a /metrics text, per label filter. */
function metricSum(text: string, name: string, filter = ''): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(filter) && !l.startsWith('#'))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

export const scenario: BenchScenario = {
  name: 'S10-scale-out',
  description: `throughput: single process vs receiver + 1 / 2 workers on Redis (${STUDIES} small studies, bench U-Net)`,
  async run(ctx) {
    const template = (await synthesiseStudy({ tumor: 'gbm', seed: 'bench-s9', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' })).files.map((f) => f.buffer);
    const measurements: BenchMeasurement[] = [];
    const notes: string[] = [];
    const perHour: Record<string, number> = {};
    const subjects: Array<{ name: string; workers: number }> = [
      { name: 'single process', workers: 0 },
      { name: 'receiver+1 worker', workers: 1 },
      { name: 'receiver+2 workers', workers: 2 },
    ];
    for (const subject of subjects) {
      const dir = join(ctx.workDir, subject.name.replace(/\W+/g, '-'));
      mkdirSync(dir, { recursive: true });
      const redis = subject.workers ? await startRedis() : undefined;
      const children: ChildProcess[] = [];
      try {
        const main = serve(config(dir, 'recv', redis), subject.workers ? 'receiver' : 'all');
        children.push(main);
        const url = await waitListening(main, subject.name);
        for (let w = 0; w < subject.workers; w++) {
          const worker = serve(config(dir, `w${w + 1}`, redis), 'worker');
          children.push(worker);
          await waitEvent(worker, 'worker-ready');
        }
        const t0 = performance.now();
        const ids: number[] = [];
        for (let i = 0; i < STUDIES; i++) {
          const s = withNewUids(template, `s9-${subject.name}-${i}`);
          ids.push(await submitStudy(url, s.files, s.studyInstanceUid));
        }
        await allDone(url, ids, 1_800_000);
        const seconds = (performance.now() - t0) / 1000;
        perHour[subject.name] = (STUDIES / seconds) * 3600;
        measurements.push(summarise(`${STUDIES} studies, STOW to all done`, subject.name, 's', [seconds]));
        ctx.log(`${subject.name}: ${STUDIES} studies in ${seconds.toFixed(1)} s = ${perHour[subject.name]!.toFixed(0)} studies/h`);
        if (subject.workers) {
          const metrics = await (await fetch(`${url}/metrics`)).text();
          const waitS = metricSum(metrics, 'neuro_onc_queue_wait_seconds_sum') / Math.max(1, metricSum(metrics, 'neuro_onc_queue_wait_seconds_count'));
          measurements.push(summarise('mean queue wait per job', subject.name, 's', [waitS]));
          const stages = ['identifying', 'preprocessing', 'inferring', 'encoding', 'delivering'].map((st) => `${st} ${(metricSum(metrics, 'neuro_onc_worker_stage_seconds_total', `stage="${st}"`) / STUDIES).toFixed(2)} s`);
          notes.push(`${subject.name}: per job on the workers: ${stages.join(', ')}; mean wait in the queue ${waitS.toFixed(2)} s`);
        }
      } finally {
        for (const c of children.reverse()) await stopChild(c);
        await redis?.stop();
      }
    }
    const single = perHour['single process']!;
    const ratios: BenchRatio[] = [
      { label: 'receiver+1 worker / single process (throughput)', value: perHour['receiver+1 worker']! / single },
      { label: 'receiver+2 workers / single process (throughput)', value: perHour['receiver+2 workers']! / single },
    ];
    const added = ((STUDIES / perHour['receiver+1 worker']! - STUDIES / single) * 3600) / STUDIES;
    notes.push(`queue's added time per job (receiver+1 worker vs single process, sequential): ${added.toFixed(2)} s`);
    return { measurements, ratios, notes };
  },
};
