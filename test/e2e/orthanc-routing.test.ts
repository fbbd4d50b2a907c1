/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The PACS integration of docs/integration.md, as written there: a real Orthanc runs the shipped Lua script
 * (deploy/orthanc/route-to-neuro-onc.lua), which sends each stable brain MR study to the node once (C-STORE through
 * DicomModalities, or STOW-RS through DicomWeb.Servers), and receives the node's SEG and SR back. A non-brain MR
 * study is not routed, and the results arriving back do not send the study a second time.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { runTool } from '../helpers/dcmtk';
import { freePort, waitFor } from '../helpers/ports';

const LUA = resolve(__dirname, '../../deploy/orthanc/route-to-neuro-onc.lua');

interface OrthancSeries {
  ID: string;
  ParentStudy: string;
  MainDicomTags: { Modality: string; SeriesDescription?: string };
}

async function uploadFolder(pacs: OrthancPeer, folder: string): Promise<void> {
  for (const e of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    await pacs.rest('POST', '/instances', new Uint8Array(readFileSync(join(e.parentPath, e.name))));
  }
}

async function studyModalities(pacs: OrthancPeer, studyUid: string): Promise<string[]> {
  const found = await pacs.rest<string[]>('POST', '/tools/lookup', studyUid);
  const study = (found as unknown as Array<{ ID: string; Type: string }>).find((f) => f.Type === 'Study');
  if (!study) return [];
  const series = await pacs.rest<OrthancSeries[]>('GET', `/studies/${study.ID}/series`);
  return series.map((s) => s.MainDicomTags.Modality).sort();
}

describe.each(['dimse', 'dicomweb'] as const)('Orthanc routes stable brain MR studies to the node over %s (docs/integration.md)', (via) => {
  let pacs: OrthancPeer;
  let node: PipelineNode;

  beforeAll(async () => {
    // Ports first: the PACS must know the node's ports and the node the PACS's, as in a real site's set-up.
    const httpPort = await freePort();
    const dimsePort = await freePort();
    const luaDir = mkdtempSync(join(tmpdir(), 'orthanc-lua-'));
    const settings = join(luaDir, 'neuro-onc-settings.lua');
    writeFileSync(settings, `NEURO_ONC_TARGET = 'neuroonc'\nNEURO_ONC_VIA = '${via}'\n`);
    pacs = await startOrthanc({
      aeTitle: 'ORTHANC',
      modalities: { neuroonc: ['NEUROONC', '127.0.0.1', dimsePort] },
      dicomWebServers: { neuroonc: { Url: `http://127.0.0.1:${httpPort}/dicom-web/` } },
      extra: { LuaScripts: [settings, LUA], UserMetadata: { NeuroOncRouted: 1024 }, StableAge: 2 },
    });
    node = await startPipelineNode(
      parseConfig({
        node: { dataDir: mkdtempSync(join(tmpdir(), `routing-${via}-`)) },
        http: { port: httpPort },
        dimse: { port: dimsePort, aeTitle: 'NEUROONC', allowedCallingAeTitles: ['ORTHANC'] },
        study: { quietPeriodSeconds: 2 },
        models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
        destinations: [{ name: 'pacs', type: 'dimse', host: '127.0.0.1', port: pacs.dicomPort, aeTitle: 'ORTHANC' }],
        delivery: { to: ['pacs'], initialBackoffSeconds: 0.2 },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  it('a brain MR study stored in Orthanc comes back with the node\'s SEG and SR, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), `routing-study-${via}-`));
    const study = await synthesiseStudy({ tumor: 'gbm', seed: `routing-${via}`, vendor: 'ge', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
    writeStudy(study, dir);
    const uid = study.study.studyInstanceUid;
    await uploadFolder(pacs, join(dir, 'dicom'));

    await waitFor(async () => node.jobs.list({ studyUid: uid }).some((j) => j.state === 'done' || j.state === 'failed'), 240_000, 'the routed study to be processed').catch(async (e: Error) => {
      // Orthanc's jobs say why a send failed (e.g. the node refused the association or the STOW).
      throw new Error(`${e.message}; Orthanc jobs: ${JSON.stringify(await pacs.rest('GET', '/jobs?expand'))}`);
    });
    const job = node.jobs.list({ studyUid: uid })[0]!;
    expect(job.lastError).toBeUndefined();
    expect(job.state).toBe('done');
    await waitFor(async () => (await studyModalities(pacs, uid)).includes('SR'), 60_000, 'the SR in Orthanc');
    const modalities = await studyModalities(pacs, uid);
    expect(modalities).toEqual(expect.arrayContaining(['SEG', 'SR']));

    // The results made the study stable again: wait past StableAge and the node's quiet period, then check the
    // study was not routed a second time (one job, and the node holds only the MR instances Orthanc sent).
    await new Promise((r) => setTimeout(r, 6000));
    expect(node.jobs.list({ studyUid: uid })).toHaveLength(1);
    const held = await (await fetch(`${node.dicomwebUrl}/studies/${uid}/series`)).json() as Array<Record<string, { Value?: string[] }>>;
    expect(held.map((s) => s['00080060']?.Value?.[0])).not.toContain('SEG');
  }, 360_000);

  it('a non-brain MR study is not routed', async () => {
    const dir = mkdtempSync(join(tmpdir(), `routing-knee-${via}-`));
    const study = await synthesiseStudy({ tumor: 'none', seed: `routing-knee-${via}`, vendor: 'philips', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
    writeStudy(study, dir);
    // The same MR series, labelled as a knee study before they reach the PACS (DCMTK dcmodify).
    const files = readdirSync(join(dir, 'dicom'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((f) => join(f.parentPath, f.name));
    const edited = await runTool('dcmodify', ['-nb', '-i', '(0008,1030)=MRI KNEE LEFT', '-i', '(0018,0015)=KNEE', ...files]);
    expect(edited.code).toBe(0);
    await uploadFolder(pacs, join(dir, 'dicom'));
    const uid = study.study.studyInstanceUid;
    await new Promise((r) => setTimeout(r, 8000)); // Orthanc's StableAge (2 s) and the node's quiet period, with margin
    // QIDO answers an unknown study with 200 [] (docs/dicomweb.md).
    expect(await (await fetch(`${node.dicomwebUrl}/studies/${uid}/series`)).json()).toEqual([]);
    expect(node.jobs.list({ studyUid: uid })).toHaveLength(0);
    // It did become stable in Orthanc (the script ran and chose not to route it).
    expect(await studyModalities(pacs, uid)).toContain('MR');
  }, 120_000);
});
