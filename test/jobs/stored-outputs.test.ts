/**
 * Stage outputs read back from disk are checked against their schema: a damaged <stage>.json, or one another
 * version of the node wrote, fails the resumed job with the file and the field, instead of handing the next stage
 * something it cannot use.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { JobMachine } from '../../src/jobs/machine';
import { UNCHECKED_OUTPUTS, type JobRecord, type StageOutputMap, type StageOutputSchemas } from '../../src/jobs/types';
import { createLogger } from '../../src/log/logger';
import { openDatabase } from '../../src/store/database';
import { storeLayout } from '../../src/store/paths';
import { InstanceStore } from '../../src/store/store';
import { StudyTracker } from '../../src/study/tracker';
import { startTestNode } from '../web/node-fixture';

type Outputs = StageOutputMap & { identifying: { series: string[] } };
const outputs: StageOutputSchemas<Outputs> = { ...UNCHECKED_OUTPUTS, identifying: z.object({ series: z.array(z.string()) }) };

describe('stage outputs read back from disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stored-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs identifying, "crashes" in preprocessing, damages identifying.json with `damage`, and resumes the job. */
  async function resumeAfter(damage: (file: string) => void): Promise<{ job: JobRecord; preprocessingRan: boolean }> {
    const db = openDatabase(storeLayout(dir).database);
    const store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'], db });
    const logger = createLogger('jobs');
    const tracker = new StudyTracker({ db, store, quietPeriodMs: 3_600_000, logger });
    const crashed = new JobMachine<Outputs>({ db, store, dataDir: dir, concurrency: 1, maxAttempts: 3, logger, outputs });
    crashed.registerStage('identifying', async () => ({ series: ['T1 MPRAGE'] }));
    crashed.registerStage('preprocessing', () => new Promise(() => undefined));
    crashed.attach(tracker);
    tracker.start();
    crashed.start();
    const [a] = syntheticMrStudy({ seed: 'stored-outputs', series: 1, slicesPerSeries: 1 });
    await store.ingestBuffer(a!.bytes, { source: 'stow' });
    tracker.markReady(a!.studyInstanceUid);
    const [job] = crashed.list();
    await crashed.waitFor(job!.id, ['preprocessing']);
    damage(join(crashed.jobDir(job!.id), 'identifying.json'));

    let preprocessingRan = false;
    const resumed = new JobMachine<Outputs>({ db, store, dataDir: dir, concurrency: 1, maxAttempts: 3, logger, outputs });
    resumed.registerStage('preprocessing', async (ctx) => {
      preprocessingRan = true;
      return { saw: ctx.outputs.identifying?.series.length };
    });
    resumed.start();
    const end = await resumed.waitFor(job!.id, ['done', 'failed']);
    tracker.close();
    await resumed.close();
    await store.close();
    db.close();
    return { job: end, preprocessingRan };
  }

  it('an intact output is parsed and handed on', async () => {
    const { job, preprocessingRan } = await resumeAfter(() => undefined);
    expect(job.state).toBe('done');
    expect(preprocessingRan).toBe(true);
  });

  it('an output with a wrong field fails the job at once, naming the file and the field', async () => {
    const { job, preprocessingRan } = await resumeAfter((file) => {
      const envelope = JSON.parse(readFileSync(file, 'utf8')) as { output: unknown };
      writeFileSync(file, JSON.stringify({ ...envelope, output: { series: 'T1 MPRAGE' } }));
    });
    expect(preprocessingRan).toBe(false);
    // attempt 1 was the interruption; the damaged file fails attempt 2 at once, without retries.
    expect(job).toMatchObject({ state: 'failed', attempts: 2, lastError: { stage: 'preprocessing', reason: 'bad-stage-output' } });
    expect(job.lastError!.message).toMatch(/identifying\.json does not hold what this node expects: output\.series: .*expected array/);
  });

  it('a file that is not JSON fails the job the same way', async () => {
    const { job } = await resumeAfter((file) => writeFileSync(file, '{"stage": "identifying", "outp'));
    expect(job).toMatchObject({ state: 'failed', lastError: { stage: 'preprocessing', reason: 'bad-stage-output' } });
    expect(job.lastError!.message).toMatch(/identifying\.json is not valid JSON/);
  });

  it('the job API answers a damaged output with the file and the field, not a bare 500', async () => {
    const node = await startTestNode({}, { stages: { handlers: { identifying: async () => ({ series: ['T1 MPRAGE'] }) }, outputs } }, dir);
    try {
      const [a] = syntheticMrStudy({ seed: 'stored-outputs-api', series: 1, slicesPerSeries: 1 });
      await node.store.ingestBuffer(a!.bytes, { source: 'stow' });
      node.studies.markReady(a!.studyInstanceUid);
      const [job] = node.jobs.list();
      expect((await node.jobs.waitFor(job!.id, ['done', 'failed'])).state).toBe('done');
      const url = `${node.httpUrl}/api/jobs/${job!.id}/outputs/identifying`;
      expect(((await (await fetch(url)).json()) as { output: unknown }).output).toEqual({ series: ['T1 MPRAGE'] });
      const file = join(node.jobs.jobDir(job!.id), 'identifying.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), output: { series: [7] } }));
      const r = await fetch(url);
      expect(r.status).toBe(500);
      expect(((await r.json()) as { error: string }).error).toMatch(/identifying\.json does not hold what this node expects: output\.series\.0: .*expected string/);
    } finally {
      await node.close();
    }
  });
});
