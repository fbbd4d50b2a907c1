/** @jest-environment ./test/ai/ort-environment.js */
/**
 * A study that reaches the node without its FLAIR (the scanner routed only some series) is completed from the
 * PACS: the node C-FINDs the study's series on Orthanc, C-MOVEs the FLAIR to itself, and processes the study
 * with it (a new generation of the study supersedes the first job).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { runTool } from '../helpers/dcmtk';
import { waitFor } from '../helpers/ports';

describe('pulling a missing series from the PACS (C-FIND + C-MOVE)', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-pull-'));

  beforeAll(async () => {
    pacs = await startOrthanc();
    const config = parseConfig({
      node: { dataDir },
      http: { port: 0 },
      dimse: { port: 0, aeTitle: 'NEUROONC', pullMissingFrom: 'pacs' },
      study: { quietPeriodSeconds: 2 },
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['t2'] }], modalityImportance: false },
      destinations: [{ name: 'pacs', type: 'dimse', host: '127.0.0.1', port: pacs.dicomPort, aeTitle: 'TESTPACS' }],
      delivery: { to: [] },
    });
    node = await startPipelineNode(config);
    // The PACS knows the node as a C-MOVE destination.
    await pacs.rest('PUT', '/modalities/neuroonc', { AET: 'NEUROONC', Host: '127.0.0.1', Port: node.dimse!.port });
  });

  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  it('the FLAIR the node lacked is pulled and used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-pull-study-'));
    const study = await synthesiseStudy({ tumor: 'astro', seed: 'e2e-pull', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
    writeStudy(study, dir);
    const flair = study.series.find((s) => s.role === 'flair')!;
    // The PACS has everything.
    for (const s of study.series) {
      for (const f of readdirSync(join(dir, 'dicom', s.folder))) await pacs.rest('POST', '/instances', readFileSync(join(dir, 'dicom', s.folder, f)));
    }
    // The node gets everything but the FLAIR.
    for (const s of study.series.filter((x) => x !== flair)) {
      const r = await runTool('storescu', ['-aet', 'MRI1', '-aec', 'NEUROONC', '+sd', '-nh', '127.0.0.1', String(node.dimse!.port), join(dir, 'dicom', s.folder)]);
      expect(r.code).toBe(0);
    }
    const uid = study.study.studyInstanceUid;
    await waitFor(async () => node.jobs.list({ studyUid: uid }).some((j) => j.state === 'done'), 240000, 'a job to finish');
    const jobs = node.jobs.list({ studyUid: uid });
    const done = jobs.find((j) => j.state === 'done')!;
    expect(done.generation).toBe(2);
    expect(jobs.find((j) => j.generation === 1)!.state).toBe('superseded');
    expect(node.store.getSeries(flair.seriesInstanceUid)).toBeDefined();
    const idOut = JSON.parse(readFileSync(join(dataDir, 'jobs', String(done.id), 'identifying.json'), 'utf8')).output;
    expect(idOut.selected.flair).toBe(flair.seriesInstanceUid);
  });
});
