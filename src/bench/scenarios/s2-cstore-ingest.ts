/**
 * S2: DIMSE C-STORE ingest. The same 720 files (4 series x 180 MR slices, 256x256, explicit
 * VR LE, ~95 MB) are sent by DCMTK `storescu` in one association to:
 *   - the node's SCP writing into the real durable store (fsync + rename + group-committed SQLite index, the
 *     response sent only once the instance is durable): what a scanner sees;
 *   - DCMTK `storescp -od` (writes files, no fsync, no index);
 *   - Orthanc's SCP (SQLite index, StorageCompression off).
 * TCP_NODELAY=1 on both ends for every peer (without it each instance waits ~40 ms for a delayed ACK).
 * Two loads: one association carrying all 720 files (one storescu), and four concurrent associations (one storescu
 * per series, as a scanner sending series in parallel). storescp runs with --fork so it can serve both.
 * Also measured, as a diagnostic: the node's SCP with a sink that discards, i.e. the DIMSE protocol cost alone.
 * Targets: node >= 0.5x storescp, >= 1x Orthanc (inst/s medians of the same run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startScp, type InstanceSink } from '../../dimse-bridge/scp';
import { InstanceStore } from '../../store/store';
import { DEFAULT_ACCEPTED_SOP_CLASSES } from '../../config/sections/node';
import { syntheticMrStudy } from '../../testing/synthetic-mr';
import { summarise, type BenchContext, type BenchResult, type BenchScenario } from '../types';

const SERIES = 4;
const SLICES = 180;
const INSTANCES = SERIES * SLICES;
const NODELAY = { ...process.env, TCP_NODELAY: '1' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: NODELAY, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** One storescu (one association) per folder, all at once; returns seconds until the last one finished. */
async function sendAll(dirs: string[], port: number, calledAe: string): Promise<number> {
  const t0 = performance.now();
  const rs = await Promise.all(dirs.map((d) => run('storescu', ['-aet', 'BENCHSCU', '-aec', calledAe, '+sd', '+r', '127.0.0.1', String(port), d])));
  const s = (performance.now() - t0) / 1000;
  const bad = rs.find((r) => r.code !== 0);
  if (bad) throw new Error(`storescu to ${calledAe} failed (${bad.code}): ${bad.stderr}`);
  return s;
}

async function waitHttp(url: string, child: ChildProcess, ms: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode != null) throw new Error(`Orthanc exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() - t0 > ms) throw new Error(`Orthanc did not start within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Orthanc with only its DICOM server (no plugins), on free ports, as perf.md §3.2 ran it. */
async function startOrthancScp(dir: string): Promise<{ dicomPort: number; http: string; stop(): Promise<void> }> {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'orthanc.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      Name: 'bench-s2', StorageDirectory: join(dir, 'storage'), IndexDirectory: join(dir, 'index'), StorageCompression: false,
      HttpPort: httpPort, DicomPort: dicomPort, DicomAet: 'ORTHANC', DicomCheckCalledAet: false, RemoteAccessAllowed: false,
      AuthenticationEnabled: false, Plugins: [],
    }),
  );
  const child = spawn('/usr/sbin/Orthanc', [cfg], { cwd: dir, env: NODELAY, stdio: 'ignore' });
  const http = `http://127.0.0.1:${httpPort}`;
  await waitHttp(`${http}/system`, child, 30000);
  return {
    dicomPort,
    http,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode != null ? r(null) : child.once('exit', r)));
    },
  };
}

export const scenario: BenchScenario = {
  name: 'S2-cstore-ingest',
  description: `C-STORE ingest of ${SERIES}x${SLICES} MR 256x256 via storescu (TCP_NODELAY=1): node SCP + durable store vs storescp vs Orthanc`,
  async run(ctx: BenchContext): Promise<BenchResult> {
    const inDir = join(ctx.workDir, 'in');
    mkdirSync(inDir);
    const study = syntheticMrStudy({ seed: 'bench-s2', series: SERIES, slicesPerSeries: SLICES, rows: 256, columns: 256 });
    const seriesDirs = Array.from({ length: SERIES }, (_, i) => join(inDir, `s${i + 1}`));
    seriesDirs.forEach((d) => mkdirSync(d));
    study.forEach((inst, i) => writeFileSync(join(seriesDirs[Math.floor(i / SLICES)]!, `${String(i).padStart(4, '0')}.dcm`), inst.bytes));
    const loads: Array<{ key: 'one' | 'four'; dirs: string[]; label: string }> = [
      { key: 'one', dirs: [inDir], label: `storescu ${INSTANCES} x 256^2 MR, 1 association` },
      { key: 'four', dirs: seriesDirs, label: `storescu ${INSTANCES} x 256^2 MR, 4 associations` },
    ];
    const megabytes = study.reduce((n, i) => n + i.bytes.length, 0) / 1e6;
    ctx.log(`${INSTANCES} files, ${megabytes.toFixed(1)} MB`);

    // Peers that stay up for the whole run.
    const scpOut = join(ctx.workDir, 'storescp');
    mkdirSync(scpOut);
    const storescpPort = await freePort();
    const storescp = spawn('storescp', ['--fork', '-aet', 'STORESCP', '-od', scpOut, String(storescpPort)], { env: NODELAY, stdio: 'ignore' });
    const orthanc = await startOrthancScp(join(ctx.workDir, 'orthanc'));
    const discard: InstanceSink = { ingestBuffer: async () => ({ status: 'stored' }), ingestFile: async (p) => (rmSync(p, { force: true }), { status: 'stored' }) };
    type Subject = 'node' | 'storescp' | 'orthanc' | 'protocol';
    const samples: Record<'one' | 'four', Record<Subject, number[]>> = {
      one: { node: [], storescp: [], orthanc: [], protocol: [] },
      four: { node: [], storescp: [], orthanc: [], protocol: [] },
    };
    const scpOpts = { aeTitle: 'NEUROONC', allowedCallingAeTitles: [], host: '127.0.0.1', port: 0, maxAssociations: 8, maxPduLength: 262144, associationTimeoutSeconds: 30, idleTimeoutSeconds: 60, spoolMemoryLimitBytes: 32 << 20 };
    try {
      await new Promise((r) => setTimeout(r, 300)); // storescp listening
      for (let round = 0; round <= ctx.repeat; round++) {
        for (const load of loads) {
          // node: a fresh store each round, so nothing is a duplicate.
          const dataDir = join(ctx.workDir, `node-${round}-${load.key}`);
          const store = await InstanceStore.open({ dataDir, acceptedSopClasses: DEFAULT_ACCEPTED_SOP_CLASSES });
          const scp = await startScp({ ...scpOpts, spoolDir: store.layout.tmp, sink: store });
          const nodeS = await sendAll(load.dirs, scp.port, 'NEUROONC');
          await scp.close();
          const stored = store.listInstances({ studyInstanceUid: study[0]!.studyInstanceUid }).length;
          await store.close();
          rmSync(dataDir, { recursive: true, force: true });
          if (stored !== INSTANCES) throw new Error(`node stored ${stored} of ${INSTANCES}`);

          const floorScp = await startScp({ ...scpOpts, spoolDir: join(ctx.workDir, 'spool'), sink: discard });
          const protocolS = await sendAll(load.dirs, floorScp.port, 'NEUROONC');
          await floorScp.close();

          const dcmtkS = await sendAll(load.dirs, storescpPort, 'STORESCP');
          rmSync(scpOut, { recursive: true, force: true });
          mkdirSync(scpOut);

          const orthancS = await sendAll(load.dirs, orthanc.dicomPort, 'ORTHANC');
          const studies = (await (await fetch(`${orthanc.http}/studies`)).json()) as string[];
          for (const id of studies) await fetch(`${orthanc.http}/studies/${id}`, { method: 'DELETE' });

          ctx.log(
            `${round === 0 ? 'warm-up' : `round ${round}`} (${load.key === 'one' ? '1 association' : '4 associations'}): node ${nodeS.toFixed(2)} s, ` +
              `storescp ${dcmtkS.toFixed(2)} s, Orthanc ${orthancS.toFixed(2)} s, node protocol only ${protocolS.toFixed(2)} s`,
          );
          if (round === 0) continue;
          const sm = samples[load.key];
          sm.node.push(INSTANCES / nodeS);
          sm.storescp.push(INSTANCES / dcmtkS);
          sm.orthanc.push(INSTANCES / orthancS);
          sm.protocol.push(INSTANCES / protocolS);
        }
      }
    } finally {
      storescp.kill('SIGTERM');
      await orthanc.stop();
    }
    const result: BenchResult = { measurements: [], ratios: [] };
    for (const load of loads) {
      const sm = samples[load.key];
      const node = summarise(load.label, 'node', 'inst/s', sm.node);
      const dcmtk = summarise(load.label, 'storescp', 'inst/s', sm.storescp);
      const orth = summarise(load.label, 'orthanc', 'inst/s', sm.orthanc);
      const proto = summarise(`${load.label}, no store (protocol only)`, 'node', 'inst/s', sm.protocol);
      const tag = load.key === 'one' ? '1 assoc' : '4 assoc';
      const vsDcmtk = node.median / dcmtk.median;
      const vsOrthanc = node.median / orth.median;
      result.measurements.push(node, dcmtk, orth, proto);
      result.ratios.push(
        { label: `node / storescp (${tag})`, value: vsDcmtk, target: '>= 0.5', pass: vsDcmtk >= 0.5 },
        { label: `node / Orthanc (${tag})`, value: vsOrthanc, target: '>= 1.0', pass: vsOrthanc >= 1 },
        { label: `node protocol-only / storescp (${tag}, diagnostic)`, value: proto.median / dcmtk.median },
      );
    }
    result.notes = [
      'node = SCP + durable store: every C-STORE-RSP waits for fsync of the file and its directory and for the SQLite index commit (WAL); storescp and Orthanc acknowledge without fsyncing the file. With one association the sender waits for each of those; with several, the store group-commits.',
      `${megabytes.toFixed(1)} MB per round; TCP_NODELAY=1 on storescu, storescp, Orthanc and the node.`,
    ];
    return result;
  },
};
