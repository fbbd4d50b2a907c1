import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { createLogger } from '../../src/log/logger';
import { openDatabase } from '../../src/store/database';
import { storeLayout } from '../../src/store/paths';
import { InstanceStore } from '../../src/store/store';
import { StudyTracker, type GenerationEvent, type ReadyEvent } from '../../src/study/tracker';
import { startTestNode, type TestNode } from '../web/node-fixture';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => T | undefined, timeoutMs = 10000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('study completeness', () => {
  let dir: string;
  let node: TestNode | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'study-'));
  });
  afterEach(async () => {
    await node?.close();
    node = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready only after the quiet period; a late instance opens a new generation', async () => {
    const db = openDatabase(storeLayout(dir).database);
    const store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'], db });
    const tracker = new StudyTracker({ db, store, quietPeriodMs: 400, logger: createLogger('study') });
    const gens: GenerationEvent[] = [];
    const readies: ReadyEvent[] = [];
    tracker.onGeneration((e) => gens.push(e));
    tracker.onReady((e) => readies.push(e));
    tracker.start();
    const insts = syntheticMrStudy({ seed: 'quiet', series: 2, slicesPerSeries: 3 });
    const study = insts[0]!.studyInstanceUid;
    // Instances keep trickling in for longer than one quiet period: the study must stay receiving.
    let lastArrival = 0;
    for (const i of insts.slice(0, 5)) {
      lastArrival = Date.now();
      await store.ingestBuffer(i.bytes, { source: 'stow' });
      await sleep(150);
      expect(tracker.get(study)!.state).toBe('receiving');
    }
    const ready = await until(() => readies[0]);
    expect(Date.now() - lastArrival).toBeGreaterThanOrEqual(400 - 5);
    expect(ready).toEqual({ studyInstanceUid: study, generation: 1, reason: 'quiet-period' });
    expect(tracker.get(study)).toMatchObject({ state: 'ready', generation: 1, instancesThisGeneration: 5 });
    // A duplicate is not an arrival; a new instance after ready is generation 2.
    await store.ingestBuffer(insts[0]!.bytes, { source: 'stow' });
    expect(tracker.get(study)!.state).toBe('ready');
    await store.ingestBuffer(insts[5]!.bytes, { source: 'dimse' });
    expect(tracker.get(study)).toMatchObject({ state: 'receiving', generation: 2, instancesThisGeneration: 1 });
    expect(gens).toEqual([
      { studyInstanceUid: study, generation: 1 },
      { studyInstanceUid: study, generation: 2 },
    ]);
    // Explicit ready: at once, and idempotent.
    expect(tracker.markReady(study)).toMatchObject({ state: 'ready', generation: 2, readyReason: 'api' });
    expect(tracker.markReady(study)).toMatchObject({ state: 'ready', generation: 2 });
    expect(readies).toHaveLength(2);
    expect(tracker.markReady('1.2.3.4.5.6')).toBeUndefined();
    tracker.close();
    await store.close();
    db.close();
  });

  it("the node's own results arriving back never re-open the study (no re-processing loop), even after a restart", async () => {
    const db = openDatabase(storeLayout(dir).database);
    const store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'], db });
    const own = 'neuro-onc-node project';
    // The study is marked ready by hand; a long quiet period keeps a loaded machine's slow ingests from ending it first.
    const tracker = new StudyTracker({ db, store, quietPeriodMs: 60_000, logger: createLogger('study'), ownManufacturer: own });
    const gens: GenerationEvent[] = [];
    tracker.onGeneration((e) => gens.push(e));
    tracker.start();
    const insts = syntheticMrStudy({ seed: 'own', series: 1, slicesPerSeries: 2 });
    const study = insts[0]!.studyInstanceUid;
    for (const i of insts) await store.ingestBuffer(i.bytes, { source: 'stow' });
    expect(tracker.markReady(study)).toMatchObject({ state: 'ready', generation: 1 });
    // A result object of ours (same study, our Manufacturer) comes back, e.g. the node is its own destination.
    const result = syntheticMrStudy({ seed: 'own', series: 1, slicesPerSeries: 1, manufacturer: own, seriesSalt: 'result' })[0]!;
    expect(result.studyInstanceUid).toBe(study);
    expect((await store.ingestBuffer(result.bytes, { source: 'stow' })).status).toBe('stored');
    expect(tracker.get(study)).toMatchObject({ state: 'ready', generation: 1 });
    // A restart's catch-up does not count it as a missed arrival either.
    tracker.close();
    const again = new StudyTracker({ db, store, quietPeriodMs: 60_000, logger: createLogger('study'), ownManufacturer: own });
    again.onGeneration((e) => gens.push(e));
    again.start();
    expect(again.get(study)).toMatchObject({ state: 'ready', generation: 1 });
    // Whereas a real late image does open generation 2.
    const late = syntheticMrStudy({ seed: 'own', series: 1, slicesPerSeries: 3 })[2]!;
    await store.ingestBuffer(late.bytes, { source: 'stow' });
    await until(() => again.get(study)!.generation === 2 || undefined);
    expect(gens.map((g) => g.generation)).toEqual([1, 2]);
    again.close();
    await store.close();
    db.close();
  });

  it('timers survive a restart, and instances indexed but never seen by the tracker are caught up', async () => {
    const insts = syntheticMrStudy({ seed: 'restart', series: 1, slicesPerSeries: 2 });
    const other = syntheticMrStudy({ seed: 'restart-missed', series: 1, slicesPerSeries: 1 });
    node = await startTestNode({ study: { quietPeriodSeconds: 1 } }, {}, dir);
    await node.store.ingestBuffer(insts[0]!.bytes, { source: 'stow' });
    expect(node.studies.get(insts[0]!.studyInstanceUid)!.state).toBe('receiving');
    await node.close();
    // While the node is down: a store without a tracker indexes an instance (as if the process died between commits).
    const store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'] });
    await store.ingestBuffer(other[0]!.bytes, { source: 'dimse' });
    await store.close();
    await sleep(1100);
    const restarted = await startTestNode({ study: { quietPeriodSeconds: 1 } }, {}, dir);
    node = restarted;
    // Both deadlines (last arrival + quiet period) passed while the node was down: ready right after start,
    // and the instance the tracker never saw counts for its study.
    await until(() => restarted.studies.get(insts[0]!.studyInstanceUid)?.state === 'ready');
    await until(() => restarted.studies.get(other[0]!.studyInstanceUid)?.state === 'ready');
    expect(restarted.studies.get(other[0]!.studyInstanceUid)).toMatchObject({ generation: 1, instancesThisGeneration: 1, readyReason: 'quiet-period' });
    expect(restarted.jobs.list({ studyUid: other[0]!.studyInstanceUid })).toHaveLength(1);
  });

  it('POST /api/studies/{uid}/ready makes a study ready at once; unknown 404, bad UID 400', async () => {
    node = await startTestNode({}, {}, dir);
    const [a] = syntheticMrStudy({ seed: 'api-ready', series: 1, slicesPerSeries: 1 });
    await node.store.ingestBuffer(a!.bytes, { source: 'stow' });
    const r = await fetch(`${node.httpUrl}/api/studies/${a!.studyInstanceUid}/ready`, { method: 'POST' });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { state: string; generation: number; instanceCount: number; job: { state: string } };
    expect(body).toMatchObject({ state: 'ready', generation: 1, instanceCount: 1 });
    expect(['ready', 'identifying', 'preprocessing', 'inferring', 'encoding', 'delivering', 'done']).toContain(body.job.state);
    expect((await fetch(`${node.httpUrl}/api/studies/1.2.3.999/ready`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${node.httpUrl}/api/studies/not-a-uid/ready`, { method: 'POST' })).status).toBe(400);
    const list = (await (await fetch(`${node.httpUrl}/api/studies`)).json()) as { studies: Array<{ studyInstanceUid: string }> };
    expect(list.studies.map((s) => s.studyInstanceUid)).toEqual([a!.studyInstanceUid]);
  });
});
