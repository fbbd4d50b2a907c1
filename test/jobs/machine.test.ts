import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { JobMachine } from '../../src/jobs/machine';
import { z } from 'zod';
import { STAGES, UNCHECKED_OUTPUTS, type StageOutputMap, type StageOutputSchemas } from '../../src/jobs/types';
import { createLogger } from '../../src/log/logger';
import { openDatabase } from '../../src/store/database';
import { storeLayout } from '../../src/store/paths';
import { InstanceStore } from '../../src/store/store';
import { StudyTracker } from '../../src/study/tracker';
import { startTestNode, type TestNode } from '../web/node-fixture';

const fastBackoff = (): number => 50;

/** These tests drive the machine with plain JSON outputs, except the encoding stage's in the retry test. */
type RetryOutputs = StageOutputMap & { encoding: { objects: number } };
const retryOutputs: StageOutputSchemas<RetryOutputs> = { ...UNCHECKED_OUTPUTS, encoding: z.object({ objects: z.number() }) };

describe('job state machine', () => {
  let node: TestNode | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jobs-'));
  });
  afterEach(async () => {
    await node?.close();
    node = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function receive(n: TestNode, seed: string): Promise<string> {
    const insts = syntheticMrStudy({ seed, series: 2, slicesPerSeries: 2 });
    for (const i of insts) expect((await n.store.ingestBuffer(i.bytes, { source: 'stow' })).status).toBe('stored');
    return insts[0]!.studyInstanceUid;
  }

  it('runs a ready study through every stage; outputs are persisted per stage and passed on', async () => {
    const seen: string[] = [];
    node = await startTestNode({}, {
      stages: {
        handlers: {
          identifying: async (ctx) => {
            seen.push(`identifying:${ctx.store.listInstances({ studyInstanceUid: ctx.studyInstanceUid }).length}`);
            return { series: ctx.store.listSeries(ctx.studyInstanceUid).map((s) => s.seriesDescription) };
          },
          inferring: async (ctx) => {
            seen.push(`inferring saw ${JSON.stringify(ctx.outputs.identifying)} and ${JSON.stringify(ctx.outputs.preprocessing)}`);
            return { volumeMl: 12.5 };
          },
        },
        outputs: UNCHECKED_OUTPUTS,
      },
    }, dir);
    const study = await receive(node, 'jobs-happy');
    const [job] = node.jobs.list({ studyUid: study });
    expect(job!.state).toBe('received');
    node.studies.markReady(study);
    const done = await node.jobs.waitFor(job!.id, ['done', 'failed']);
    expect(done.state).toBe('done');
    expect(seen).toEqual(['identifying:4', 'inferring saw {"series":["T1 MPRAGE","T1 MPRAGE post Gd"]} and {"passThrough":true}']);
    const d = (await node.jobs.detail(job!.id))!;
    expect(d.outputs).toEqual([...STAGES]);
    expect(d.events.map((e) => e.to)).toEqual(['received', 'ready', ...STAGES, 'done']);
    expect(d.runs.map((r) => [r.stage, r.status])).toEqual(STAGES.map((s) => [s, 'ok']));
    const file = JSON.parse(readFileSync(join(node.jobs.jobDir(job!.id), 'inferring.json'), 'utf8')) as { output: unknown; attempt: number };
    expect(file).toMatchObject({ output: { volumeMl: 12.5 }, attempt: 1 });
    // The HTTP API shows the same.
    const api = (await (await fetch(`${node.httpUrl}/api/jobs/${job!.id}`)).json()) as { state: string; outputs: string[] };
    expect(api).toMatchObject({ state: 'done', outputs: [...STAGES] });
    const out = (await (await fetch(`${node.httpUrl}/api/jobs/${job!.id}/outputs/identifying`)).json()) as { output: unknown };
    expect(out.output).toEqual({ series: ['T1 MPRAGE', 'T1 MPRAGE post Gd'] });
    const list = (await (await fetch(`${node.httpUrl}/api/jobs?state=done`)).json()) as { jobs: Array<{ id: number }> };
    expect(list.jobs.map((j) => j.id)).toEqual([job!.id]);
  });

  it('retries a failing stage with back-off, dead-letters it after maxAttempts, and retries it through the API', async () => {
    let fail = true;
    let calls = 0;
    let permanentOnce = true;
    node = await startTestNode({ pipeline: { maxAttempts: 3 } }, {
      backoffMs: fastBackoff,
      stages: {
        handlers: {
          encoding: async () => {
            calls++;
            if (fail) throw new Error(`encoder exploded (call ${calls})`);
            return { objects: 2 };
          },
          delivering: async (ctx) => {
            if (ctx.outputs.encoding && ctx.outputs.encoding.objects === 2 && permanentOnce) {
              permanentOnce = false;
              throw Object.assign(new Error('every destination dead-lettered'), { permanent: true, reason: 'dead-letter' });
            }
            return { delivered: true };
          },
        },
        outputs: retryOutputs,
      },
    }, dir);
    const study = await receive(node, 'jobs-fail');
    node.studies.markReady(study);
    const [job] = node.jobs.list({ studyUid: study });
    const failed = await node.jobs.waitFor(job!.id, ['failed', 'done']);
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, lastError: { stage: 'encoding', message: 'encoder exploded (call 3)', attempt: 3 } });
    expect(calls).toBe(3);
    const api = (await (await fetch(`${node.httpUrl}/api/jobs/${job!.id}`)).json()) as { lastError: { message: string }; runs: Array<{ stage: string; status: string; error?: string }> };
    expect(api.lastError.message).toBe('encoder exploded (call 3)');
    expect(api.runs.filter((r) => r.stage === 'encoding').map((r) => r.status)).toEqual(['error', 'error', 'error']);
    expect(api.runs.find((r) => r.stage === 'encoding')!.error).toMatch(/encoder exploded \(call 1\)/);
    // Bad retries are refused clearly.
    expect((await fetch(`${node.httpUrl}/api/jobs/999/retry`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${node.httpUrl}/api/jobs/${job!.id}/retry`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"fromStage":"baking"}' })).status).toBe(400);
    fail = false;
    const r = await fetch(`${node.httpUrl}/api/jobs/${job!.id}/retry`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { state: string }).state).toBe('encoding');
    // Delivery now throws a permanent error once: failed at the first attempt, no retries.
    const permanent = await node.jobs.waitFor(job!.id, ['done', 'failed']);
    expect(permanent).toMatchObject({ state: 'failed', attempts: 1, lastError: { stage: 'delivering', reason: 'dead-letter', message: 'every destination dead-lettered' } });
    expect((await fetch(`${node.httpUrl}/api/jobs/${job!.id}/retry`, { method: 'POST' })).status).toBe(200);
    const done = await node.jobs.waitFor(job!.id, ['done', 'failed']);
    expect(done).toMatchObject({ state: 'done', attempts: 0 });
    // Earlier stages were not re-run: one identifying run only.
    expect(node.jobs.jobs.runs(job!.id).filter((x) => x.stage === 'identifying')).toHaveLength(1);
    expect((await fetch(`${node.httpUrl}/api/jobs/${job!.id}/retry`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"fromStage":"delivering"}' })).status).toBe(200);
  });

  it('an instance arriving after the study was ready supersedes the running job and starts a new generation', async () => {
    let release: (() => void) | undefined;
    const entered: number[] = [];
    node = await startTestNode({}, {
      stages: {
        handlers: {
          inferring: (ctx) =>
            new Promise((resolve, reject) => {
              entered.push(ctx.job.generation);
              if (ctx.job.generation > 1) return resolve({ generation: ctx.job.generation });
              release = () => resolve({ generation: 1 });
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
            }),
        },
        outputs: UNCHECKED_OUTPUTS,
      },
    }, dir);
    const insts = syntheticMrStudy({ seed: 'jobs-late', series: 1, slicesPerSeries: 3 });
    const study = insts[0]!.studyInstanceUid;
    for (const i of insts.slice(0, 2)) await node.store.ingestBuffer(i.bytes, { source: 'stow' });
    node.studies.markReady(study);
    const [first] = node.jobs.list({ studyUid: study });
    await node.jobs.waitFor(first!.id, ['inferring']);
    while (!entered.length) await new Promise((r) => setTimeout(r, 10));
    await node.store.ingestBuffer(insts[2]!.bytes, { source: 'dimse' });
    const superseded = node.jobs.get(first!.id)!;
    expect(superseded.state).toBe('superseded');
    const second = node.jobs.list({ studyUid: study }).find((j) => j.generation === 2)!;
    expect(superseded.supersededBy).toBe(second.id);
    expect(second.state).toBe('received');
    node.studies.markReady(study);
    expect((await node.jobs.waitFor(second.id, ['done', 'failed'])).state).toBe('done');
    expect(node.jobs.jobs.runs(first!.id).find((r) => r.stage === 'inferring')!.status).toBe('aborted');
    release?.();
    expect((await fetch(`${node.httpUrl}/api/jobs/${first!.id}/retry`, { method: 'POST' })).status).toBe(409);
  });

  it('a stage interrupted by a crash is marked interrupted and runs again on start, from that stage', async () => {
    const db = openDatabase(storeLayout(dir).database);
    const store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'], db });
    const logger = createLogger('jobs');
    const tracker = new StudyTracker({ db, store, quietPeriodMs: 3_600_000, logger });
    const crashed = new JobMachine({ db, store, dataDir: dir, concurrency: 1, maxAttempts: 3, logger, outputs: UNCHECKED_OUTPUTS });
    // Never settles: the process "dies" inside this stage.
    crashed.registerStage('preprocessing', () => new Promise(() => undefined));
    crashed.attach(tracker);
    tracker.start();
    crashed.start();
    const [a] = syntheticMrStudy({ seed: 'jobs-crash', series: 1, slicesPerSeries: 1 });
    await store.ingestBuffer(a!.bytes, { source: 'stow' });
    tracker.markReady(a!.studyInstanceUid);
    const [job] = crashed.list();
    await crashed.waitFor(job!.id, ['preprocessing']);
    expect(existsSync(join(crashed.jobDir(job!.id), 'identifying.json'))).toBe(true);
    // "Crash": this machine is abandoned mid-stage; a new one opens the same database.
    const calls: Array<{ attempt: number; identifying: unknown }> = [];
    const resumed = new JobMachine({ db, store, dataDir: dir, concurrency: 1, maxAttempts: 3, logger, outputs: UNCHECKED_OUTPUTS });
    resumed.registerStage('identifying', async () => {
      throw new Error('identifying must not run again');
    });
    resumed.registerStage('preprocessing', async (ctx) => {
      calls.push({ attempt: ctx.attempt, identifying: ctx.outputs.identifying });
      return { resumed: true };
    });
    resumed.start();
    const done = await resumed.waitFor(job!.id, ['done', 'failed']);
    expect(done.state).toBe('done');
    expect(calls).toEqual([{ attempt: 2, identifying: { passThrough: true } }]);
    expect(resumed.jobs.runs(job!.id).map((r) => [r.stage, r.status])).toEqual([
      ['identifying', 'ok'],
      ['preprocessing', 'interrupted'],
      ['preprocessing', 'ok'],
      ['inferring', 'ok'],
      ['encoding', 'ok'],
      ['delivering', 'ok'],
    ]);
    tracker.close();
    await resumed.close();
    await store.close();
    db.close();
  });
});
