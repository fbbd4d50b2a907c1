/**
 * Retention and disk space (docs/retention.md): a real node (store, tracker, jobs, HTTP), studies sent with
 * STOW-RS and C-STORE (DCMTK storescu), deletion by the retention sweep and by an operator, a deletion interrupted
 * by a stop, and a disk "nearly full" by configuration (the threshold set above the machine's real free space).
 */
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { UNCHECKED_OUTPUTS, type JobRecord } from '../../src/jobs/types';
import { dueForDeletion, Retention } from '../../src/retention/retention';
import { storeLayout, studyDir } from '../../src/store/paths';
import { InstanceStore } from '../../src/store/store';
import { createLogger } from '../../src/log/logger';
import { FindingsCache, loadJobResults } from '../../src/web/ui/job-results';
import { runTool } from '../helpers/dcmtk';
import { writeMrStudy } from '../dimse-bridge/helpers/mr-study';
import { startTestNode, type TestNode } from '../web/node-fixture';

const DAY = 24 * 3600 * 1000;

const stow = async (node: TestNode, seed: string, patientId = 'RET-PAT') => {
  const insts = syntheticMrStudy({ seed, series: 2, slicesPerSeries: 3, rows: 16, columns: 16, patientId });
  const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('r'), Accept: 'application/dicom+json' }, body: multipartRelated(insts.map((i) => i.bytes), 'r') });
  return { insts, status: r.status, body: (await r.json()) as Record<string, unknown>, headers: r.headers };
};

describe('dueForDeletion', () => {
  const now = 100 * DAY;
  const job = (o: Partial<JobRecord>): JobRecord => ({ id: 1, studyInstanceUid: '1.2', generation: 1, state: 'done', attempts: 0, maxAttempts: 3, priority: 2, createdAt: 0, updatedAt: 0, finishedAt: now - 20 * DAY, ...o });
  const old = { state: 'ready', lastArrivalAt: now - 20 * DAY };

  it('deletes only ready studies whose latest job is done and everything is older than the retention', () => {
    expect(dueForDeletion(old, [job({})], now, 14)).toBe(true);
    expect(dueForDeletion(old, [job({})], now, 0)).toBe(false); // retention off
    expect(dueForDeletion(old, [job({})], now, 30)).toBe(false); // not old enough
    expect(dueForDeletion({ ...old, state: 'receiving' }, [job({})], now, 14)).toBe(false);
    expect(dueForDeletion({ ...old, lastArrivalAt: now - DAY }, [job({})], now, 14)).toBe(false); // a late instance
    expect(dueForDeletion(old, [job({ finishedAt: now - DAY })], now, 14)).toBe(false); // re-run recently
    expect(dueForDeletion(old, [job({ state: 'failed' })], now, 14)).toBe(false); // an operator must look first
    expect(dueForDeletion(old, [job({ state: 'superseded' }), job({ id: 2, generation: 2, state: 'inferring' })], now, 14)).toBe(false);
    expect(dueForDeletion(old, [job({ state: 'superseded' }), job({ id: 2, generation: 2 })], now, 14)).toBe(true);
    expect(dueForDeletion(old, [], now, 14)).toBe(false);
    expect(dueForDeletion(undefined, [job({})], now, 14)).toBe(false);
  });
});

describe('retention on a running node', () => {
  let node: TestNode;
  const failUid = { value: '' };
  beforeAll(async () => {
    node = await startTestNode({ pipeline: { maxAttempts: 1 } }, {
      stages: {
        handlers: {
          identifying: async (ctx) => {
            if (ctx.studyInstanceUid === failUid.value) throw new Error('cannot identify this one');
            return { selected: {}, missing: ['t1', 't1ce', 't2', 'flair'], series: [], routed: [], skipped: [], unreadable: [] };
          },
        },
        outputs: UNCHECKED_OUTPUTS,
      },
    });
  });
  afterAll(async () => node?.destroy());

  const ready = async (study: string): Promise<JobRecord> => {
    const r = await fetch(`${node.httpUrl}/api/studies/${study}/ready`, { method: 'POST' });
    expect(r.status).toBe(200);
    const job = node.jobs.list({ studyUid: study })[0]!;
    return node.jobs.waitFor(job.id, ['done', 'failed']);
  };
  const later = (days: number) => new Retention({ store: node.store, studies: node.studies, jobs: node.jobs, days: 14, sweepIntervalMinutes: 60, logger: createLogger('retention'), now: () => Date.now() + days * DAY });

  it('a delivered study past retention loses its instances, files, patient row and work folder; the job record stays', async () => {
    const { insts, status } = await stow(node, 'ret-done', 'RET-PAT-DONE');
    expect(status).toBe(200);
    const study = insts[0]!.studyInstanceUid;
    const job = await ready(study);
    expect(job.state).toBe('done');
    expect(existsSync(join(node.jobs.jobDir(job.id), 'work'))).toBe(true);
    // Not yet: 13 days later.
    expect(await later(13).sweep()).toEqual([]);
    const [deleted, ...rest] = await later(15).sweep();
    expect(rest).toEqual([]);
    expect(deleted).toMatchObject({ studyInstanceUid: study, reason: 'retention', instances: insts.length, jobs: [job.id] });
    expect(deleted!.bytes).toBe(insts.reduce((a, i) => a + i.bytes.length, 0));
    expect(node.store.listInstances({ studyInstanceUid: study })).toEqual([]);
    expect(existsSync(studyDir(storeLayout(node.dataDir), study))).toBe(false);
    expect(readdirSync(storeLayout(node.dataDir).trash)).toEqual([]);
    expect(existsSync(join(node.jobs.jobDir(job.id), 'work'))).toBe(false);
    expect(existsSync(join(node.jobs.jobDir(job.id), 'job.json'))).toBe(true);
    const qido = await fetch(`${node.dicomwebUrl}/studies?PatientID=RET-PAT-DONE`);
    expect(await qido.json()).toEqual([]);
    expect(node.store.db.prepare("SELECT COUNT(*) AS n FROM patients WHERE patient_id = 'RET-PAT-DONE'").get()).toEqual({ n: 0 });
    const detail = await node.jobs.detail(job.id);
    expect(detail!.state).toBe('done');
    expect(detail!.events.at(-1)!.note).toMatch(/study deleted from the node \(node\.retention\.days = 14\): 6 instance\(s\)/);
    // What the result pages read: the deletion, and no attempt to load findings that are gone.
    const shown = await loadJobResults({ jobs: node.jobs, cache: new FindingsCache(), dataDir: node.dataDir, destinations: [] }, job.id);
    expect(shown?.deleted?.note).toMatch(/^study deleted from the node \(node\.retention\.days = 14\)/);
    // Its job cannot be re-run on nothing.
    const retry = await fetch(`${node.httpUrl}/api/jobs/${job.id}/retry`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { error: string }).error).toMatch(/instances are no longer on the node/);
  });

  it('the same study sent again after deletion is stored and processed as a new generation', async () => {
    const insts = syntheticMrStudy({ seed: 'ret-done', series: 2, slicesPerSeries: 3, rows: 16, columns: 16, patientId: 'RET-PAT-DONE' });
    const again = await stow(node, 'ret-done', 'RET-PAT-DONE');
    expect(again.status).toBe(200);
    const study = insts[0]!.studyInstanceUid;
    expect(node.store.listInstances({ studyInstanceUid: study })).toHaveLength(insts.length);
    expect(node.studies.get(study)?.generation).toBe(2);
    const job = await ready(study);
    expect(job).toMatchObject({ generation: 2, state: 'done' });
  });

  it('keeps studies that failed or are still receiving; an operator deletes with DELETE /api/studies/{uid}', async () => {
    const failed = await stow(node, 'ret-failed');
    failUid.value = failed.insts[0]!.studyInstanceUid;
    expect((await ready(failUid.value)).state).toBe('failed');
    const receiving = await stow(node, 'ret-receiving');
    const recUid = receiving.insts[0]!.studyInstanceUid;
    const swept = await later(30).sweep();
    expect(swept.map((d) => d.studyInstanceUid)).not.toContain(failUid.value);
    expect(swept.map((d) => d.studyInstanceUid)).not.toContain(recUid);
    expect(node.store.listInstances({ studyInstanceUid: failUid.value })).toHaveLength(failed.insts.length);

    const refused = await fetch(`${node.httpUrl}/api/studies/${recUid}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/still receiving instances/);
    const del = await fetch(`${node.httpUrl}/api/studies/${failUid.value}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(((await del.json()) as { deleted: { instances: number; reason: string } }).deleted).toMatchObject({ instances: failed.insts.length, reason: 'operator' });
    expect(node.store.listInstances({ studyInstanceUid: failUid.value })).toEqual([]);
    const gone = await fetch(`${node.httpUrl}/api/studies/${failUid.value}`, { method: 'DELETE' });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: string }).error).toMatch(/no instances of study .* \(already deleted\)/);
    expect((await fetch(`${node.httpUrl}/api/studies/1.2.3.999`, { method: 'DELETE' })).status).toBe(404);
  });
});

/** Runs `fn` with a fresh data folder, removed afterwards. */
async function inTempDataDir(prefix: string, fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await fn(dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('a deletion interrupted by a stop', () => {
  it('is finished at the next start: index rows dropped, trash emptied, other studies untouched', async () => {
    await inTempDataDir('ret-crash-', async (dataDir) => {
      let store = await InstanceStore.open({ dataDir, acceptedSopClasses: ['*'] });
      const a = syntheticMrStudy({ seed: 'ret-crash-a', series: 1, slicesPerSeries: 2 });
      const b = syntheticMrStudy({ seed: 'ret-crash-b', series: 1, slicesPerSeries: 2 });
      for (const i of [...a, ...b]) expect((await store.ingestBuffer(Buffer.from(i.bytes), { source: 'stow' })).status).toBe('stored');
      // The first half of purgeStudy (the atomic rename into trash/), then the process dies: no index change.
      const layout = storeLayout(dataDir);
      renameSync(studyDir(layout, a[0]!.studyInstanceUid), join(layout.trash, `${a[0]!.studyInstanceUid}.${Date.now()}`));
      store.db.close();
      store = await InstanceStore.open({ dataDir, acceptedSopClasses: ['*'] });
      expect(store.listInstances({ studyInstanceUid: a[0]!.studyInstanceUid })).toEqual([]);
      expect(store.getStudy(a[0]!.studyInstanceUid)).toBeUndefined();
      expect(store.listInstances({ studyInstanceUid: b[0]!.studyInstanceUid })).toHaveLength(2);
      expect(readdirSync(layout.trash)).toEqual([]);
      expect(store.recovery?.missingFiles).toBe(0);
      await store.close();
    });
  });
});

describe('instances arriving while their study is deleted', () => {
  it('are either refused ("being deleted") or stored after the deletion; index and files always agree', async () => {
    await inTempDataDir('ret-race-', async (dataDir) => {
      const store = await InstanceStore.open({ dataDir, acceptedSopClasses: ['*'] });
      const first = syntheticMrStudy({ seed: 'ret-race', series: 2, slicesPerSeries: 10 });
      for (const i of first) await store.ingestBuffer(Buffer.from(i.bytes), { source: 'stow' });
      const more = syntheticMrStudy({ seed: 'ret-race', series: 3, slicesPerSeries: 10 }).slice(first.length); // same study, a third series
      const purge = store.purgeStudy(first[0]!.studyInstanceUid);
      const outcomes = await Promise.all(more.map((i) => store.ingestBuffer(Buffer.from(i.bytes), { source: 'stow' })));
      await purge;
      for (const o of outcomes) {
        if (o.status === 'rejected') expect(o.message).toMatch(/being deleted/);
        else expect(o.status).toBe('stored');
      }
      const indexed = store.listInstances({ studyInstanceUid: first[0]!.studyInstanceUid });
      expect(indexed.map((r) => r.sopInstanceUid).sort()).toEqual(outcomes.filter((o) => o.status === 'stored').map((o) => o.sopInstanceUid).sort());
      for (const r of indexed) expect(existsSync(r.path)).toBe(true);
      const dir = studyDir(storeLayout(dataDir), first[0]!.studyInstanceUid);
      const onDisk = existsSync(dir) ? readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.dcm')).length : 0;
      expect(onDisk).toBe(indexed.length);
      await store.close();
    });
  });
});

describe('disk nearly full (node.minFreeDiskMb above the real free space)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ node: { minFreeDiskMb: 1e12 }, dimse: { enabled: true, host: '127.0.0.1', port: 0 } });
  });
  afterAll(async () => node?.destroy());

  it('STOW-RS: 503 with Retry-After naming the free space and the setting; nothing stored; /healthz says so', async () => {
    const { insts, status, body, headers } = await stow(node, 'ret-full');
    expect(status).toBe(503);
    expect(headers.get('retry-after')).toBe('300');
    expect(String(body.error)).toMatch(/disk is nearly full: \d+ MB free, below node\.minFreeDiskMb/);
    expect(node.store.listInstances({ studyInstanceUid: insts[0]!.studyInstanceUid })).toEqual([]);
    const health = (await (await fetch(`${node.httpUrl}/healthz`)).json()) as { disk: { accepting: boolean; freeMb: number } };
    expect(health.disk.accepting).toBe(false);
    expect(health.disk.freeMb).toBeGreaterThan(0);
  });

  it('C-STORE (storescu): refused with 0xA700 Out of Resources per instance; nothing stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ret-full-'));
    try {
      const files = writeMrStudy(dir, { series: 1, slices: 2 });
      const r = await runTool('storescu', ['-v', '--no-halt', '-aec', 'NEUROONC', '127.0.0.1', String(node.dimse!.port), ...files.map((f) => f.path)]);
      const said = `${r.stdout}${r.stderr}`;
      expect(said.match(/Received Store Response \(Refused: OutOfResources\)/g)).toHaveLength(files.length);
      expect(node.store.listInstances({ studyInstanceUid: files[0]!.studyUid })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
