/**
 * S1: STOW-RS ingest of 4 series x 180 MR slices, 256x256, explicit VR LE (~95 MB) into
 *   - the node (`neuro-onc-node serve` as a child process: durable store, fsync + rename, group-committed index,
 *     the 200 sent only once every instance is durable);
 *   - Orthanc 1.10 + DICOMweb plugin (SQLite, StorageCompression off), same machine, same run;
 *   - a bare Node multipart receiver (buffer the body, split with Buffer.indexOf, write each part to a file, no
 *     fsync, no parsing, no index): the floor.
 * Modes: one request per series (4 x 180 parts, sequential); 10-part batches (72 requests, one connection);
 * 4 concurrent requests (one per series); one part per request (720 requests, one keep-alive connection).
 * Reported: inst/s (median of `repeat` runs), MB/s, p95 request latency, the node's peak RSS per run.
 * Targets: node >= 1.0x Orthanc in every mode; node >= 0.3x floor.
 * Diagnostic subject: the node with node.durableWrites=false (no fsync, like Orthanc), to show what durability
 * costs; one part per request is bound by two sequential fsyncs (file, then its folder) per acknowledgement.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { multipartContentType, multipartRelated, syntheticMrStudy, type SyntheticInstance } from '../../testing/synthetic-mr';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc';
import { summarise, type BenchContext, type BenchMeasurement, type BenchRatio, type BenchResult, type BenchScenario } from '../types';

const SERIES = 4;
const SLICES = 180;
const INSTANCES = SERIES * SLICES;

interface Mode {
  key: string;
  label: string;
  /** Request bodies (each a list of instance indexes) and how many run at once. */
  requests: number[][];
  concurrency: number;
}

function modes(): Mode[] {
  const idx = (s: number): number[] => Array.from({ length: SLICES }, (_v, k) => s * SLICES + k);
  const perSeries = Array.from({ length: SERIES }, (_v, s) => idx(s));
  const batches: number[][] = [];
  for (const series of perSeries) for (let k = 0; k < SLICES; k += 10) batches.push(series.slice(k, k + 10));
  return [
    { key: 'series', label: `1 request per series (${SERIES} x ${SLICES} parts)`, requests: perSeries, concurrency: 1 },
    { key: 'batch10', label: `10-part batches (${batches.length} requests, 1 connection)`, requests: batches, concurrency: 1 },
    { key: 'concurrent4', label: `${SERIES} concurrent requests x ${SLICES} parts`, requests: perSeries, concurrency: SERIES },
    { key: 'single', label: `1 part per request (${INSTANCES} requests, 1 connection)`, requests: Array.from({ length: INSTANCES }, (_v, i) => [i]), concurrency: 1 },
  ];
}

interface Target {
  name: string;
  /** Base URL of the DICOMweb service (…/dicom-web). */
  stowUrl: string;
  /** Called before each run; returns a check that the run stored everything. */
  reset(): Promise<void>;
  verify(): Promise<number>;
  /** Peak RSS (bytes) since the last reset, when measurable. */
  peakRss?(): number | undefined;
  stop(): Promise<void>;
}

function post(agent: Agent, url: string, body: Buffer, boundary: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': multipartContentType(boundary), 'Content-Length': String(body.length), Accept: 'application/dicom+json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`STOW answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs one mode against a target; returns seconds and per-request latencies (ms). */
async function runMode(target: Target, mode: Mode, bodies: Buffer[], boundary: string): Promise<{ seconds: number; latencies: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: mode.concurrency });
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < bodies.length; i = next++) {
      const s = performance.now();
      await post(agent, `${target.stowUrl}/studies`, bodies[i]!, boundary);
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: mode.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { seconds, latencies };
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.95 * s.length))]!;
}

export function waitListening(child: ChildProcess, what: string, ms = 60000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms: ${err.slice(-2000)}`)), ms);
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20000)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"http":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

function peakRssOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode != null || child.signalCode != null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  await gone;
  clearTimeout(t);
}

/**
 * The node as `serve` runs it, restarted on a fresh data folder before each run (so each run stores 720 new
 * instances). `durableWrites: false` is the diagnostic subject: the same node without fsync (what Orthanc does).
 */
function nodeTarget(workDir: string, name = 'node', durableWrites = true): Target {
  const cli = join(__dirname, '..', '..', 'cli', 'main.js');
  let child: ChildProcess | undefined;
  let url = '';
  let run = 0;
  let prevDir: string | undefined;
  const target: Target = {
    name,
    stowUrl: '',
    async reset() {
      await stopChild(child);
      if (prevDir) rmSync(prevDir, { recursive: true, force: true });
      const dir = join(workDir, `${name}-${run++}`);
      prevDir = dir;
      mkdirSync(join(dir, 'models'), { recursive: true });
      const cfg = join(dir, 'node.json');
      writeFileSync(
        cfg,
        JSON.stringify({
          node: { dataDir: join(dir, 'var'), durableWrites },
          http: { host: '127.0.0.1', port: 0, maxUploadBytes: 1024 ** 3 },
          dimse: { enabled: false },
          study: { quietPeriodSeconds: 3600 },
          models: { dir: join(dir, 'models') },
        }),
      );
      child = spawn(process.execPath, [cli, '--config', cfg, 'serve'], { env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
      url = await waitListening(child, 'the node');
      target.stowUrl = `${url}/dicom-web`;
    },
    async verify() {
      return ((await (await fetch(`${url}/healthz`)).json()) as { instances: number }).instances;
    },
    peakRss: () => peakRssOf(child?.pid),
    stop: () => stopChild(child),
  };
  return target;
}

async function orthancTarget(): Promise<Target> {
  const peer: OrthancPeer = await startOrthanc({ extra: { StorageCompression: false } });
  const stats = async (): Promise<number> => (await peer.rest<{ CountInstances: number }>('GET', '/statistics')).CountInstances;
  return {
    name: 'orthanc',
    stowUrl: peer.dicomWebUrl,
    async reset() {
      for (const id of await peer.rest<string[]>('GET', '/studies')) await peer.rest('DELETE', `/studies/${id}`);
    },
    verify: stats,
    stop: () => peer.stop(),
  };
}

/** The floor: no parsing, no index, no fsync. */
const FLOOR_SERVER = `
const http = require('http'), fs = require('fs'), path = require('path');
const dir = process.argv[1]; let n = 0;
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/count') { res.end(JSON.stringify({ n })); return; }
    const body = Buffer.concat(chunks);
    const b = Buffer.from('--' + /boundary=([^;]+)/.exec(req.headers['content-type'])[1]);
    let i = body.indexOf(b);
    while (i >= 0) {
      const j = body.indexOf(b, i + b.length);
      if (j < 0) break;
      const h = body.indexOf('\\r\\n\\r\\n', i);
      fs.writeFileSync(path.join(dir, (n++) + '.dcm'), body.subarray(h + 4, j - 2));
      i = j;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write(JSON.stringify({ http: 'http://127.0.0.1:' + this.address().port }) + '\\n'); });
`;

async function floorTarget(workDir: string): Promise<Target> {
  const dir = join(workDir, 'floor');
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, ['-e', FLOOR_SERVER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await waitListening(child, 'the floor receiver');
  let base = 0;
  const count = async (): Promise<number> => ((await (await fetch(`${url}/count`)).json()) as { n: number }).n;
  return {
    name: 'floor',
    stowUrl: url,
    async reset() {
      base = await count();
    },
    verify: async () => (await count()) - base,
    stop: () => stopChild(child),
  };
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  ctx.log(`generating ${INSTANCES} synthetic MR instances (256x256, explicit VR LE)`);
  const insts: SyntheticInstance[] = syntheticMrStudy({ seed: 'bench-s1', series: SERIES, slicesPerSeries: SLICES, rows: 256, columns: 256 });
  const totalMb = insts.reduce((a, i) => a + i.bytes.length, 0) / 1e6;
  const boundary = 'neuro-onc-bench-s1';
  const targets = [nodeTarget(ctx.workDir), nodeTarget(ctx.workDir, 'node-nofsync', false), await orthancTarget(), await floorTarget(ctx.workDir)];
  const measurements: BenchMeasurement[] = [];
  const ratios: BenchRatio[] = [];
  const notes: string[] = [`${INSTANCES} instances, ${totalMb.toFixed(1)} MB per run; every run is checked to have stored all of them`];
  try {
    for (const mode of modes()) {
      const bodies = mode.requests.map((ids) => multipartRelated(ids.map((i) => insts[i]!.bytes), boundary));
      const rate: Record<string, number[]> = {};
      const lat: Record<string, number[]> = {};
      const rss: number[] = [];
      for (let r = 0; r < ctx.repeat; r++) {
        for (const t of targets) {
          await t.reset();
          const { seconds, latencies } = await runMode(t, mode, bodies, boundary);
          const stored = await t.verify();
          if (stored !== INSTANCES) throw new Error(`${t.name} stored ${stored} of ${INSTANCES} instances in mode ${mode.key}`);
          (rate[t.name] ??= []).push(INSTANCES / seconds);
          (lat[t.name] ??= []).push(p95(latencies));
          const peak = t.name === 'node' ? t.peakRss?.() : undefined;
          if (peak) rss.push(peak / 1e6);
        }
        ctx.log(`${mode.key} run ${r + 1}: ${targets.map((t) => `${t.name} ${rate[t.name]!.at(-1)!.toFixed(0)} inst/s`).join(', ')}`);
      }
      for (const t of targets) {
        measurements.push(summarise(`STOW ${mode.label}`, t.name, 'inst/s', rate[t.name]!));
        measurements.push(summarise(`STOW ${mode.label} p95 request`, t.name, 'ms', lat[t.name]!));
      }
      const med = (name: string): number => summarise('', name, 'inst/s', rate[name]!).median;
      measurements.push(summarise(`STOW ${mode.label} throughput`, 'node', 'MB/s', rate.node!.map((x) => (x * totalMb) / INSTANCES)));
      if (rss.length) measurements.push(summarise(`STOW ${mode.label} peak RSS`, 'node', 'MB', rss));
      const vsOrthanc = med('node') / med('orthanc');
      const vsFloor = med('node') / med('floor');
      ratios.push({ label: `node/orthanc inst/s, ${mode.key}`, value: vsOrthanc, target: '>= 1.0', pass: vsOrthanc >= 1.0 });
      ratios.push({ label: `node/floor inst/s, ${mode.key}`, value: vsFloor, target: '>= 0.3', pass: vsFloor >= 0.3 });
      // Diagnostic: what the fsyncs cost (Orthanc does not fsync).
      ratios.push({ label: `node without fsync/orthanc inst/s, ${mode.key} (diagnostic)`, value: med('node-nofsync') / med('orthanc') });
      const biggest = Math.max(...bodies.map((b) => b.length)) * mode.concurrency;
      if (rss.length) notes.push(`${mode.key}: node peak RSS median ${summarise('', 'node', 'MB', rss).median.toFixed(0)} MB with ${(biggest / 1e6).toFixed(0)} MB of request bodies in flight`);
    }
  } finally {
    for (const t of targets) await t.stop();
  }
  return { measurements, ratios, notes };
}

export const scenario: BenchScenario = {
  name: 'S1-stow-ingest',
  description: `STOW-RS ingest of ${SERIES}x${SLICES} MR 256x256 (explicit VR LE): node (durable store) vs Orthanc+DICOMweb vs bare Node receiver (floor)`,
  run,
};
