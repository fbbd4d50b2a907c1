/** @jest-environment ./test/ai/ort-environment.js */
/**
 * End to end over classic DICOM networking: DCMTK storescu (a "scanner", AE MRI1) sends a synthetic study to the
 * node's C-STORE SCP; the node processes it and C-STOREs the SEG and SR to a real Orthanc (the PACS), and back to
 * the sender when reply-to-sender is on (a DCMTK storescp standing in for the scanner's archive).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { runTool, startTool } from '../helpers/dcmtk';
import { freePort, waitFor } from '../helpers/ports';
import type { ChildProcess } from 'node:child_process';

describe('end to end: C-STORE in, C-STORE SEG + SR out', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;
  let scanner: ChildProcess;
  const scannerDir = mkdtempSync(join(tmpdir(), 'scanner-archive-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-dimse-'));

  beforeAll(async () => {
    pacs = await startOrthanc();
    const scannerPort = await freePort();
    scanner = startTool('storescp', ['--aetitle', 'MRI1', '--output-directory', scannerDir, String(scannerPort)]);
    const config = parseConfig({
      node: { dataDir },
      http: { port: 0 },
      dimse: { port: 0, aeTitle: 'NEUROONC', allowedCallingAeTitles: ['MRI1'] },
      study: { quietPeriodSeconds: 2 },
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
      destinations: [
        { name: 'pacs', type: 'dimse', host: '127.0.0.1', port: pacs.dicomPort, aeTitle: 'TESTPACS' },
        { name: 'scanner', type: 'dimse', host: '127.0.0.1', port: scannerPort, aeTitle: 'MRI1' },
      ],
      delivery: { to: ['pacs'], replyToSender: true, initialBackoffSeconds: 0.2 },
    });
    node = await startPipelineNode(config);
  });

  afterAll(async () => {
    scanner?.kill();
    await node?.close();
    await pacs?.stop();
  });

  it('storescu -> node SCP -> pipeline -> SEG + SR in Orthanc and back at the sender', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-dimse-study-'));
    const study = await synthesiseStudy({ tumor: 'oligo', seed: 'e2e-dimse', vendor: 'philips', size: 'small', distractors: 'random', transferSyntax: 'explicit' });
    writeStudy(study, dir);
    const sent = await runTool('storescu', ['-aet', 'MRI1', '-aec', 'NEUROONC', '+sd', '+r', '-nh', '127.0.0.1', String(node.dimse!.port), join(dir, 'dicom')], { timeoutMs: 120000 });
    expect(sent.code).toBe(0);
    await waitFor(async () => node.jobs.list({ studyUid: study.study.studyInstanceUid }).some((j) => j.state === 'done' || j.state === 'failed'), 240000, 'the job');
    const job = node.jobs.list({ studyUid: study.study.studyInstanceUid })[0]!;
    expect(job.lastError).toBeUndefined();
    expect(job.state).toBe('done');
    const modalities = (await pacs.rest<Array<{ MainDicomTags: { Modality: string } }>>('GET', '/series?expand')).map((s) => s.MainDicomTags.Modality).sort();
    expect(modalities).toEqual(expect.arrayContaining(['SEG', 'SR']));
    // Reply to sender: the scanner's storescp received the same result objects.
    const back = readdirSync(scannerDir);
    expect(back.some((f) => f.startsWith('SG.'))).toBe(true); // storescp names files by modality: SG = SEG, SRc = Comprehensive SR
    expect(back.some((f) => f.startsWith('SRc.'))).toBe(true);
  });
});
