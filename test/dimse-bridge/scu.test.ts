/**
 * The SCU side against real peers: Orthanc (C-ECHO, C-STORE, C-FIND, C-MOVE back to our SCP, and Orthanc pushing
 * to us with /modalities/{id}/store) and DCMTK storescp; failure reasons (refused, rejected, timeout, contexts the
 * peer does not accept); the delivery sender, the HTTP echo route and the `echo` CLI command.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { InstanceStore } from '../../src/store/store';
import { SopClass } from '../../src/dicom/constants';
import { writeP10 } from '../../src/dicom/p10';
import { randomUid } from '../../src/dicom/uids';
import { startDimseService } from '../../src/dimse-bridge/service';
import { startScp, type DimseScp } from '../../src/dimse-bridge/scp';
import { cstore, echo, findSeries, moveSeries, DimseScuError, type DimsePeer } from '../../src/dimse-bridge/scu';
import { dimseSender } from '../../src/dimse-bridge/sender';
import { dimseRouter } from '../../src/dimse-bridge/http';
import { splitP10 } from '../../src/dimse-bridge/p10-split';
import { buildProgram } from '../../src/cli/main';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { runTool, startTool } from '../helpers/dcmtk';
import { freePort, waitFor } from '../helpers/ports';
import { writeMrStudy } from './helpers/mr-study';

let dir: string;
let store: InstanceStore;
let scp: DimseScp;
let orthanc: OrthancPeer;
let storescp: ChildProcess;
let storescpPort: number;
let config: Config;
let pacs: DimsePeer;

const datasetOf = (buf: Buffer) => buf.subarray(splitP10(buf).datasetOffset);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dimse-scu-'));
  const scpPort = await freePort();
  orthanc = await startOrthanc({ aeTitle: 'TESTPACS', modalities: { NEUROONC: ['NEUROONC', '127.0.0.1', scpPort] } });
  storescpPort = await freePort();
  mkdirSync(join(dir, 'storescp'));
  storescp = startTool('storescp', ['-aet', 'STORESCP', '-od', join(dir, 'storescp'), String(storescpPort)]);
  config = parseConfig({
    node: { dataDir: join(dir, 'var') },
    dimse: { host: '127.0.0.1', port: scpPort, aeTitle: 'NEUROONC', allowedCallingAeTitles: ['TESTPACS', 'NEUROONC'] },
    destinations: [
      { name: 'pacs', type: 'dimse', host: '127.0.0.1', port: orthanc.dicomPort, aeTitle: 'TESTPACS' },
      { name: 'dcmtk', type: 'dimse', host: '127.0.0.1', port: storescpPort, aeTitle: 'STORESCP' },
      { name: 'web', type: 'dicomweb', url: orthanc.dicomWebUrl },
    ],
  });
  store = await InstanceStore.open({ dataDir: config.node.dataDir, acceptedSopClasses: config.node.acceptedSopClasses });
  scp = (await startDimseService(config, store))!;
  pacs = { name: 'pacs', host: '127.0.0.1', port: orthanc.dicomPort, aeTitle: 'TESTPACS', callingAeTitle: 'NEUROONC' };
  await waitFor(async () => (await runTool('echoscu', ['-aec', 'STORESCP', '127.0.0.1', String(storescpPort)])).code === 0, 10000, 'storescp');
});

afterAll(async () => {
  storescp?.kill('SIGKILL');
  await scp?.close();
  await store?.close();
  await orthanc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('C-ECHO', () => {
  it('reaches Orthanc and storescp with round-trip times', async () => {
    const r = await echo(pacs);
    expect(r.echoMs).toBeGreaterThan(0);
    expect(r.totalMs).toBeGreaterThanOrEqual(r.echoMs);
    await expect(echo({ ...pacs, name: 'dcmtk', port: storescpPort, aeTitle: 'STORESCP' })).resolves.toHaveProperty('echoMs');
  });

  it('says "connection refused" when nothing listens', async () => {
    const port = await freePort();
    const e = await echo({ ...pacs, port }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DimseScuError);
    expect((e as DimseScuError).kind).toBe('connection-refused');
    expect((e as Error).message).toMatch(/connection refused/);
  });

  it('reports an association rejection with its reason', async () => {
    const e = await echo({ name: 'self', host: '127.0.0.1', port: scp.port, aeTitle: 'NEUROONC', callingAeTitle: 'STRANGER' }).catch((x: unknown) => x);
    expect((e as DimseScuError).kind).toBe('association-rejected');
    expect((e as Error).message).toMatch(/rejected-permanent by service-user: calling-AE-title-not-recognized/);
    expect((e as DimseScuError).retryable).toBe(false);
  });

  it('times out on a peer that accepts TCP but never answers', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const t0 = Date.now();
    const e = await echo({ ...pacs, port }, { connectMs: 700 }).catch((x: unknown) => x);
    silent.close();
    expect((e as DimseScuError).kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('C-STORE', () => {
  it('stores results in Orthanc and confirms each object', async () => {
    const files = writeMrStudy(join(dir, 'to-orthanc'), { series: 1, slices: 3 });
    const sc = writeP10({ SOPClassUID: SopClass.SecondaryCapture, SOPInstanceUID: randomUid(), StudyInstanceUID: files[0]!.studyUid, SeriesInstanceUID: randomUid(), Modality: 'OT' });
    const results = await cstore(pacs, [...files.map((f) => ({ path: f.path })), { bytes: sc }]);
    expect(results.map((r) => r.stored)).toEqual([true, true, true, true]);
    expect(results.every((r) => r.status === 0)).toBe(true);
    const found = await orthanc.rest<string[]>('POST', '/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: files[0]!.studyUid } });
    expect(found).toHaveLength(4);
  });

  it('stores in DCMTK storescp byte-for-byte, and refuses per object what the peer does not accept', async () => {
    const files = writeMrStudy(join(dir, 'to-storescp'), { series: 1, slices: 2 });
    const jls = files[1]!.path.replace(/\.dcm$/, '.jls.dcm');
    expect((await runTool('dcmcjpls', [files[1]!.path, jls])).code).toBe(0);
    // Default storescp accepts uncompressed syntaxes only: the JPEG-LS object is refused with a reason, the other sent.
    const results = await cstore({ ...pacs, name: 'dcmtk', port: storescpPort, aeTitle: 'STORESCP' }, [{ path: files[0]!.path }, { path: jls }]);
    expect(results[0]!.stored).toBe(true);
    expect(results[1]!.stored).toBe(false);
    expect(results[1]!.message).toMatch(/not with the object's transfer syntax 1\.2\.840\.10008\.1\.2\.4\.80/);
    const written = readdirSync(join(dir, 'storescp')).find((f) => f.includes(files[0]!.sopInstanceUid))!;
    expect(datasetOf(readFileSync(join(dir, 'storescp', written))).equals(datasetOf(readFileSync(files[0]!.path)))).toBe(true);
  });

  it('reports a SOP class the peer rejects as a per-object error and still sends the rest', async () => {
    const mrOnly = await startScp({
      aeTitle: 'MRONLY', allowedCallingAeTitles: [], host: '127.0.0.1', port: 0, maxAssociations: 2, maxPduLength: 65536,
      associationTimeoutSeconds: 5, idleTimeoutSeconds: 10, spoolDir: store.layout.tmp, spoolMemoryLimitBytes: 1 << 20,
      acceptedSopClasses: [SopClass.MRImage], sink: store,
    });
    try {
      const files = writeMrStudy(join(dir, 'mr-only'), { series: 1, slices: 1 });
      const seg = writeP10({ SOPClassUID: SopClass.Segmentation, SOPInstanceUID: randomUid(), StudyInstanceUID: files[0]!.studyUid, SeriesInstanceUID: randomUid(), Modality: 'SEG' });
      const r = await cstore({ name: 'mronly', host: '127.0.0.1', port: mrOnly.port, aeTitle: 'MRONLY', callingAeTitle: 'NEUROONC' }, [{ bytes: seg }, { path: files[0]!.path }]);
      expect(r[0]!.stored).toBe(false);
      expect(r[0]!.message).toMatch(/rejected every presentation context for SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.66\.4/);
      expect(r[1]!.stored).toBe(true);
      expect(store.getInstance(files[0]!.sopInstanceUid)).toBeDefined();
    } finally {
      await mrOnly.close();
    }
  });

  it('keeps the confirmations it got when the peer drops the association half-way', async () => {
    const holder: { victim?: DimseScp } = {};
    let n = 0;
    // The real store, with one fault: while the second instance is being stored, the SCP shuts down (so the
    // first was confirmed, the second and third never are, whatever the machine's timing).
    const sink = {
      ingestBuffer: async (b: Buffer, c: Parameters<InstanceStore['ingestBuffer']>[1]) => {
        if (++n === 2) await holder.victim!.close();
        return store.ingestBuffer(b, c);
      },
      ingestFile: (p: string, c: Parameters<InstanceStore['ingestFile']>[1]) => store.ingestFile(p, c),
    };
    const victim = (holder.victim = await startScp({
      aeTitle: 'VICTIM', allowedCallingAeTitles: [], host: '127.0.0.1', port: 0, maxAssociations: 2, maxPduLength: 65536,
      associationTimeoutSeconds: 5, idleTimeoutSeconds: 10, spoolDir: store.layout.tmp, spoolMemoryLimitBytes: 1 << 20, sink,
    }));
    const files = writeMrStudy(join(dir, 'victim'), { series: 1, slices: 3, rows: 256, columns: 256 });
    const r = await cstore({ name: 'victim', host: '127.0.0.1', port: victim.port, aeTitle: 'VICTIM', callingAeTitle: 'NEUROONC' }, files.map((f) => ({ path: f.path })));
    expect(r[0]!.stored).toBe(true);
    expect(r.slice(1).every((x) => !x.stored && /^not answered/.test(x.message))).toBe(true);
  });

  it('is the delivery sender for dimse destinations', async () => {
    const sr = writeP10({ SOPClassUID: SopClass.ComprehensiveSR, SOPInstanceUID: randomUid(), StudyInstanceUID: randomUid(), SeriesInstanceUID: randomUid(), Modality: 'SR' });
    const p = splitP10(sr);
    const send = dimseSender(config);
    const ok = await send(config.destinations[0]!, [{ kind: 'sr', sopClassUid: p.sopClassUid, sopInstanceUid: p.sopInstanceUid, studyInstanceUid: '', bytes: sr }]);
    expect(ok).toMatchObject({ ok: true, destination: 'pacs', objects: [{ sopInstanceUid: p.sopInstanceUid, stored: true, status: 0 }] });
    const down = await send({ ...config.destinations[0]!, port: await freePort() } as Config['destinations'][number], [
      { kind: 'sr', sopClassUid: p.sopClassUid, sopInstanceUid: p.sopInstanceUid, studyInstanceUid: '', bytes: sr },
    ]);
    expect(down).toMatchObject({ ok: false, retryable: true });
    expect(down.error).toMatch(/connection refused/);
  });
});

describe('Orthanc as sender and as query/retrieve peer', () => {
  let studyUid: string;
  let flairUid: string;
  beforeAll(async () => {
    const files = writeMrStudy(join(dir, 'in-orthanc'), { series: 2, slices: 3, descriptions: ['T1 AX', 'FLAIR AX'] });
    studyUid = files[0]!.studyUid;
    flairUid = files[3]!.seriesUid;
    for (const f of files) await orthanc.rest('POST', '/instances', readFileSync(f.path));
  });

  it('receives a study Orthanc sends with /modalities/{id}/store', async () => {
    const [orthancStudy] = await orthanc.rest<string[]>('POST', '/tools/lookup', studyUid).then((r) => (r as unknown as Array<{ ID: string }>).map((x) => x.ID));
    await orthanc.rest('POST', '/modalities/NEUROONC/store', { Resources: [orthancStudy], Synchronous: true });
    const series = store.listSeries(studyUid);
    expect(series).toHaveLength(2);
    expect(store.listInstances({ studyInstanceUid: studyUid }).every((i) => i.callingAeTitle === 'TESTPACS')).toBe(true);
  });

  it('finds the series of a study with C-FIND and pulls a missing one with C-MOVE to our SCP', async () => {
    // A series that reaches the PACS later (e.g. FLAIR re-acquired): the node does not have it yet.
    const late = writeMrStudy(join(dir, 'late'), { series: 1, slices: 3, studyUid, descriptions: ['T2 AX'] });
    for (const f of late) await orthanc.rest('POST', '/instances', readFileSync(f.path));
    const lateUid = late[0]!.seriesUid;
    expect(store.listInstances({ seriesInstanceUid: lateUid })).toHaveLength(0);
    const series = await findSeries(pacs, studyUid);
    expect(series.map((s) => s.seriesDescription).sort()).toEqual(['FLAIR AX', 'T1 AX', 'T2 AX']);
    expect(series.find((s) => s.seriesInstanceUid === flairUid)?.instances).toBe(3);
    const moved = await moveSeries(pacs, studyUid, lateUid, 'NEUROONC');
    expect(moved).toMatchObject({ status: 0, completed: 3, failed: 0 });
    const got = store.listInstances({ seriesInstanceUid: lateUid });
    expect(got.map((i) => i.sopInstanceUid).sort()).toEqual(late.map((f) => f.sopInstanceUid).sort());
  });

  it('fails a C-MOVE to an AE the PACS does not know with a clear status', async () => {
    const e = await moveSeries(pacs, studyUid, flairUid, 'NOBODY').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DimseScuError);
    // Orthanc answers an unknown move destination with 0xC000 (PS3.4 suggests 0xA801); either is a clear failure.
    expect((e as Error).message).toMatch(/C-MOVE at pacs \(TESTPACS@.*\) failed: .*\((0xA801|0xC000)\)/);
  });
});

describe('HTTP and CLI echo', () => {
  it('POST /api/destinations/:name/echo answers 200, 404, 400 and 502 with reasons', async () => {
    const app = express();
    app.use('/api', dimseRouter(config));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const ok = await fetch(`${base}/api/destinations/pacs/echo`, { method: 'POST' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ ok: true, destination: 'pacs', aeTitle: 'TESTPACS' });
      expect((await fetch(`${base}/api/destinations/nope/echo`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${base}/api/destinations/web/echo`, { method: 'POST' })).status).toBe(400);
      const cfg2 = parseConfig({ ...config, destinations: [{ name: 'down', type: 'dimse', host: '127.0.0.1', port: await freePort(), aeTitle: 'X' }], delivery: { ...config.delivery, to: [] } });
      const app2 = express();
      app2.use('/api', dimseRouter(cfg2));
      const s2 = app2.listen(0, '127.0.0.1');
      await new Promise((r) => s2.once('listening', r));
      const down = await fetch(`http://127.0.0.1:${(s2.address() as { port: number }).port}/api/destinations/down/echo`, { method: 'POST' });
      s2.close();
      expect(down.status).toBe(502);
      expect(await down.json()).toMatchObject({ ok: false, kind: 'connection-refused' });
    } finally {
      server.close();
    }
  });

  it('`neuro-onc-node echo <destination>` prints the round trip, or a specific reason with a non-zero exit', async () => {
    const file = join(dir, 'cli.json');
    writeFileSync(
      file,
      JSON.stringify({
        dimse: { aeTitle: 'NEUROONC' },
        destinations: [
          { name: 'pacs', type: 'dimse', host: '127.0.0.1', port: orthanc.dicomPort, aeTitle: 'TESTPACS' },
          { name: 'picky', type: 'dimse', host: '127.0.0.1', port: scp.port, aeTitle: 'NEUROONC', callingAeTitle: 'STRANGER' },
        ],
      }),
    );
    const run = async (dest: string) => {
      const out: string[] = [];
      const so = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
      const se = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (out.push(String(s)), true));
      process.exitCode = undefined;
      try {
        await buildProgram().exitOverride().parseAsync(['node', 'neuro-onc-node', '--config', file, 'echo', dest]);
      } finally {
        so.mockRestore();
        se.mockRestore();
      }
      const code = process.exitCode ?? 0;
      process.exitCode = undefined;
      return { code, text: out.join('') };
    };
    const ok = await run('pacs');
    expect(ok.code).toBe(0);
    expect(ok.text).toMatch(/^echo pacs \(TESTPACS@127\.0\.0\.1:\d+\): ok, [\d.]+ ms round trip/);
    const rej = await run('picky');
    expect(rej.code).toBe(1);
    expect(rej.text).toMatch(/FAILED \(association-rejected\).*calling-AE-title-not-recognized/);
    const unknown = await run('nope');
    expect(unknown.code).toBe(2);
    expect(unknown.text).toMatch(/unknown destination "nope"/);
  });
});
