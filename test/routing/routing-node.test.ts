/** @jest-environment ./test/ai/ort-environment.js */
/**
 * Routing and completion rules in a real node (docs/routing.md): DCMTK storescu sends as two scanners; the rule for
 * MRI1 makes its study complete as soon as T1ce and FLAIR are identified (the quiet period is five minutes, so only
 * the trigger can end it within the test), runs the rule's model and delivers to the rule's destination, a real
 * Orthanc. The study from MRI2 matches no rule and is kept without being processed. `route` explains both.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { JobStore } from '../../src/jobs/job-store';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { studyFacts } from '../../src/routing/facts';
import { openDatabase } from '../../src/store/database';
import { InstanceStore } from '../../src/store/store';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { runTool } from '../helpers/dcmtk';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { runCli } from '../helpers/run-cli';

async function sendAs(aet: string, port: number, seed: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `routing-${aet}-`));
  const study = await synthesiseStudy({ tumor: 'gbm', seed, vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
  writeStudy(study, dir);
  const sent = await runTool('storescu', ['-aet', aet, '-aec', 'NEUROONC', '+sd', '+r', '-nh', '127.0.0.1', String(port), join(dir, 'dicom')], { timeoutMs: 120_000 });
  expect(sent.code).toBe(0);
  return study.study.studyInstanceUid;
}

describe('routing rules in a running node', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;

  beforeAll(async () => {
    pacs = await startOrthanc();
    node = await startPipelineNode(
      parseConfig({
        node: { dataDir: mkdtempSync(join(tmpdir(), 'routing-node-')) },
        http: { port: 0 },
        dimse: { port: 0, aeTitle: 'NEUROONC', allowedCallingAeTitles: ['MRI1', 'MRI2'] },
        study: { quietPeriodSeconds: 300 },
        models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-mets', whenRoles: ['t1ce'] }], modalityImportance: false },
        destinations: [
          { name: 'pacs', type: 'dimse', host: '127.0.0.1', port: pacs.dicomPort, aeTitle: 'TESTPACS' },
          { name: 'elsewhere', type: 'dimse', host: '127.0.0.1', port: 9, aeTitle: 'NOBODY' },
        ],
        delivery: { to: ['elsewhere'], initialBackoffSeconds: 0.2 },
        routing: {
          rules: [{ name: 'neuro-mri1', when: { callingAeTitles: ['MRI1'], modalities: ['MR'] }, requireRoles: ['t1ce', 'flair'], priority: 'urgent', models: ['tiny-glioma'], destinations: ['pacs'] }],
          seriesQuietSeconds: 2,
        },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  it('the matching study is complete once T1ce and FLAIR are here, runs the rule\'s model and goes to the rule\'s destination', async () => {
    const uid = await sendAs('MRI1', node.dimse!.port, 'routing-mri1');
    await waitFor(async () => node.studies.get(uid)?.state === 'ready', 120_000, 'the required-series trigger');
    expect(node.studies.get(uid)!.readyReason).toBe('required-series');
    await waitFor(async () => node.jobs.list({ studyUid: uid }).some((j) => j.state === 'done' || j.state === 'failed'), 240_000, 'the job');
    const job = node.jobs.list({ studyUid: uid })[0]!;
    expect(job.lastError).toBeUndefined();
    expect(job).toMatchObject({ state: 'done', priority: 0, routingRule: 'neuro-mri1' });
    const id = (await node.jobs.readOutput(job.id, 'identifying'))!.output as { routed: string[] };
    expect(id.routed).toEqual(['tiny-glioma']); // the rule's model, not models.routing's tiny-mets
    const delivered = (await node.jobs.readOutput(job.id, 'delivering'))!.output as { destinations: Record<string, unknown> };
    expect(Object.keys(delivered.destinations)).toEqual(['pacs']); // the rule's destination, not delivery.to
    const modalities = (await pacs.rest<Array<{ MainDicomTags: { Modality: string } }>>('GET', '/series?expand')).map((s) => s.MainDicomTags.Modality);
    expect(modalities).toEqual(expect.arrayContaining(['SEG', 'SR']));

    const dry = await runCli(['route', uid, '--url', node.httpUrl]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('rule "neuro-mri1" matched: processed at urgent priority');
    expect(dry.stdout).toContain('calling AE MRI1: yes');
    expect(dry.stdout).toMatch(/completion: requires t1ce, flair; present t1ce, flair \(complete\)/);
  }, 420_000);

  it('a study no rule matches is kept, not processed, and the dry run says why', async () => {
    const uid = await sendAs('MRI2', node.dimse!.port, 'routing-mri2');
    await new Promise((r) => setTimeout(r, 4000));
    expect(node.studies.get(uid)!.state).toBe('receiving'); // no trigger for it: the five-minute quiet period applies
    const ready = await fetch(`${node.httpUrl}/api/studies/${uid}/ready`, { method: 'POST' });
    expect(ready.status).toBe(200);
    await waitFor(async () => node.jobs.list({ studyUid: uid }).some((j) => j.state === 'done'), 30_000, 'the job to end');
    const job = node.jobs.list({ studyUid: uid })[0]!;
    const detail = await node.jobs.detail(job.id);
    expect(detail!.runs).toEqual([]); // no stage ran
    expect(detail!.events.at(-1)!.note).toMatch(/not processed: no rule matched: routing.unmatched is ignore/);
    // Still served over QIDO.
    const series = (await (await fetch(`${node.dicomwebUrl}/studies/${uid}/series`)).json()) as unknown[];
    expect(series.length).toBeGreaterThan(0);

    const dry = await runCli(['route', uid, '--url', node.httpUrl]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('no rule matched');
    expect(dry.stdout).toContain('calling AE MRI2 not in [MRI1]');
    const unknown = await runCli(['route', '1.2.3.999', '--url', node.httpUrl]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('404: study 1.2.3.999 is not on this node');
  }, 300_000);
});

describe('routing facts and queue order from the real store and job table', () => {
  it('records the STOW user with each instance and reads it back as a routing fact', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'routing-facts-'));
    const store = await InstanceStore.open({ dataDir, acceptedSopClasses: ['*'] });
    const study = await synthesiseStudy({ tumor: 'none', seed: 'routing-facts', vendor: 'ge', size: 'small', distractors: 'none', transferSyntax: 'explicit', drop: ['t1', 't2', 'flair'] });
    const outcome = await store.ingestBuffer(study.files[0]!.buffer, { source: 'stow', user: 'orthanc', remoteAddress: '127.0.0.1' });
    expect(outcome.status).toBe('stored');
    const facts = studyFacts(store, study.study.studyInstanceUid);
    expect(facts.users).toEqual(['orthanc']);
    expect(facts.modalities).toEqual(['MR']);
    expect(facts.bodyParts).toEqual(['BRAIN']);
    expect(facts.patientAgeYears).toBeCloseTo(study.patient.age, 0);
    await store.close();
  });

  it('ready jobs run urgent first, then by the time they became ready', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'routing-prio-')), 'index.sqlite'));
    const jobs = new JobStore(db);
    const a = jobs.create('1.1', 1, 3, 1000);
    const b = jobs.create('1.2', 1, 3, 1001);
    const c = jobs.create('1.3', 1, 3, 1002);
    jobs.update(a.id, { state: 'ready', readyAt: 1000, priority: 3 }, 1000);
    jobs.update(b.id, { state: 'ready', readyAt: 1001 }, 1001);
    jobs.update(c.id, { state: 'ready', readyAt: 1002, priority: 0 }, 1002);
    expect(jobs.runnable(2000, new Set(), ['identifying']).map((j) => j.studyInstanceUid)).toEqual(['1.3', '1.2', '1.1']);
    db.close();
  });
});
