/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The pipeline's worker pool (src/workers) with real worker threads and real onnxruntime sessions: the stage work
 * run in a worker gives the same artifacts and result files, byte for byte, as the same work in this thread; log
 * lines come back to the caller's logger; errors keep their reason and permanence across the thread boundary.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { ModelRegistry } from '../../src/ai/registry';
import { DeviceQueue } from '../../src/ai/runtime';
import { parseConfig } from '../../src/config/load';
import { readP10 } from '../../src/dicom/p10';
import { studyAttributesFrom } from '../../src/dicom/study-attributes';
import { createLogger, type Logger } from '../../src/log/logger';
import { z } from 'zod';
import { readArtifactJson } from '../../src/pipeline/artifacts';
import { isPermanent } from '../../src/pipeline/errors';
import { groupFiles } from '../../src/pipeline/infer-study';
import { identify } from '../../src/pipeline/prepare';
import { inThreadWork, type StageWork } from '../../src/pipeline/stage-work';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { pooledWork, WorkerPool } from '../../src/workers/pool';

function capturingLogger(): { log: Logger; lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const stream = new Writable({
    objectMode: true,
    write(info: { level: string; message: string }, _enc, done) {
      lines.push({ level: info.level, message: info.message });
      done();
    },
  });
  return { log: winston.createLogger({ level: 'info', transports: [new winston.transports.Stream({ stream })] }), lines };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

describe('stage work in worker threads', () => {
  const cfg = parseConfig({
    models: { dir: 'test/fixtures/models', executionProviders: ['cpu'], intraOpNumThreads: 1, routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
    delivery: { secondaryCapture: true, encapsulatedPdf: true },
  });
  let registry: ModelRegistry;
  let pool: WorkerPool;
  let pooled: StageWork;
  beforeAll(async () => {
    registry = await ModelRegistry.load(cfg.models.dir, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    pool = new WorkerPool(1, { config: cfg }, createLogger('test-workers'));
    pooled = pooledWork(pool, new DeviceQueue(1), registry);
  });
  afterAll(async () => {
    await pool?.close();
    await registry?.close();
  });

  it('writes the same artifacts and SEG/SR/SC/PDF bytes as the same work in this thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'pool-1', vendor: 'philips', size: 'small', distractors: 'none' });
    writeStudy(study, join(dir, 'in'));
    const s = (await groupFiles([join(dir, 'in')])).studies[0]!;
    const id = await identify(s, registry, cfg);
    expect(id.routed).toEqual(['tiny-glioma']);

    const run = async (work: StageWork, workDir: string, log: Logger): Promise<unknown> => {
      const prep = await work.prepare({ files: s, classification: id.classification, models: id.routed, workDir }, log);
      const ref = (await readArtifactJson(workDir, prep.models[0]!.artifact, z.object({ referenceSeries: z.object({ seriesInstanceUid: z.string() }) }))).referenceSeries.seriesInstanceUid;
      const header = studyAttributesFrom(readP10(readFileSync(s.series[ref]![0]!), { headerOnly: true }).dataset);
      const inf = await work.infer({ model: 'tiny-glioma', studyInstanceUid: s.studyInstanceUid, workDir, artifact: prep.models[0]!.artifact }, log);
      const enc = await work.encode({ model: 'tiny-glioma', workDir, artifact: inf.artifact, header, predecessors: [], createdAt: Date.UTC(2026, 0, 2, 3, 4, 5) }, log);
      // Wall-clock timings are the only thing allowed to differ.
      return JSON.parse(JSON.stringify({ prep, inf: { ...inf, totalMs: 0, summary: { ...inf.summary, timings: null } }, enc }).split(workDir).join('<work>'), (k, v: unknown) => (k === 'elapsedMs' ? null : v));
    };
    const here = capturingLogger();
    const there = capturingLogger();
    const a = await run(inThreadWork(registry, cfg), join(dir, 'a'), here.log);
    const b = await run(pooled, join(dir, 'b'), there.log);
    expect(b).toEqual(a);

    const files = filesUnder(join(dir, 'a'));
    expect(filesUnder(join(dir, 'b'))).toEqual(files);
    expect(files.filter((f) => f.endsWith('.dcm')).length).toBeGreaterThanOrEqual(4); // SEG, SR, key images, PDF
    for (const f of files) {
      const [x, y] = [readFileSync(join(dir, 'a', f)), readFileSync(join(dir, 'b', f))];
      if (f.endsWith('.json')) {
        // Wall-clock fields (model timings, per-series registration time) are the only thing allowed to differ.
        const strip = (t: Buffer): unknown => JSON.parse(t.toString(), (k, v: unknown) => (k === 'timings' || k === 'elapsedMs' ? null : v));
        expect([f, strip(y)]).toEqual([f, strip(x)]);
      } else {
        expect([f, y.equals(x)]).toEqual([f, true]);
      }
    }
    // The worker's log lines reached the caller's logger.
    expect(there.lines.map((l) => l.message)).toContain('model run');
  }, 300_000);

  it('a task error keeps its reason and permanence across the thread boundary', async () => {
    const log = capturingLogger().log;
    const workDir = mkdtempSync(join(tmpdir(), 'pool-err-'));
    const failure = (p: Promise<unknown>): Promise<Error & { reason?: string }> =>
      p.then(
        () => {
          throw new Error('the task succeeded');
        },
        (e: unknown) => e as Error & { reason?: string },
      );
    const permanent = await failure(pooled.infer({ model: 'no-such-model', studyInstanceUid: '1.2.3', workDir, artifact: 'prep-x' }, log));
    expect(permanent).toBeInstanceOf(Error);
    expect([permanent.message, permanent.reason, isPermanent(permanent)]).toEqual(['model no-such-model is no longer loaded', 'model-not-loaded', true]);
    const transient = await failure(pooled.infer({ model: 'tiny-glioma', studyInstanceUid: '1.2.3', workDir, artifact: 'prep-missing' }, log));
    expect(transient.message).toMatch(/ENOENT.*prep-missing\.json/);
    expect(isPermanent(transient)).toBe(false);
  });
});
