/**
 * Process-level crash tests against the real node (compiled CLI / composition root in a child process):
 * kill -9 while STOW-RS requests are streaming loses no acknowledged instance and indexes nothing half-written;
 * kill -9 in the middle of a job resumes it at the stage that was running.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multipartContentType, multipartRelated, syntheticMrStudy, type SyntheticInstance } from '../../src/testing/synthetic-mr';
import { ensureBuilt } from '../helpers/build';
import { kill9, spawnNode, type ChildNode } from './child-node';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** POSTs a body in small slices with pauses (so a kill lands mid-stream); resolves the response or the error. */
function slowStow(
  url: string,
  body: Buffer,
  boundary: string,
  sliceBytes: number,
  pauseMs: number,
  progress?: (bytes: number) => void,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}/dicom-web/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType(boundary), 'Content-Length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    let off = 0;
    const next = (): void => {
      if (off >= body.length) return void req.end();
      const chunk = body.subarray(off, off + sliceBytes);
      off += chunk.length;
      progress?.(chunk.length);
      req.write(chunk, () => setTimeout(next, pauseMs));
    };
    next();
  });
}

function acknowledged(res: { status: number; body: string } | { error: string }): string[] {
  if ('error' in res || (res.status !== 200 && res.status !== 202)) return [];
  const json = JSON.parse(res.body) as Record<string, { Value?: Array<Record<string, { Value?: string[] }>> }>;
  return (json['00081199']?.Value ?? []).map((i) => i['00081155']!.Value![0]!);
}

async function retrieveAll(url: string, study: string): Promise<Map<string, string>> {
  const r = await fetch(`${url}/dicom-web/studies/${study}/instances?limit=10000`);
  const list = (await r.json()) as Array<Record<string, { Value?: string[] }>>;
  const out = new Map<string, string>();
  for (const item of list) {
    const sop = item['00080018']!.Value![0]!;
    const series = item['0020000E']!.Value![0]!;
    const inst = await fetch(`${url}/dicom-web/studies/${study}/series/${series}/instances/${sop}`, { headers: { Accept: 'application/dicom' } });
    expect(inst.status).toBe(200);
    out.set(sop, sha(Buffer.from(await inst.arrayBuffer())));
  }
  return out;
}

describe('crash safety of the real node process', () => {
  let dir: string;
  let child: ChildNode | undefined;
  // Compiling dist/ (once per test run, shared with other workers) can take a while on a busy machine.
  beforeAll(async () => {
    await ensureBuilt();
  }, 300000);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'crash-'));
    mkdirSync(join(dir, 'models'));
  });
  afterEach(async () => {
    if (child) await kill9(child);
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function writeConfig(extra: Record<string, unknown> = {}): string {
    const file = join(dir, 'node.json');
    writeFileSync(
      file,
      JSON.stringify({
        node: { dataDir: join(dir, 'var') },
        http: { host: '127.0.0.1', port: 0 },
        dimse: { enabled: false },
        study: { quietPeriodSeconds: 3600 },
        models: { dir: join(dir, 'models') },
        ...extra,
      }),
    );
    return file;
  }

  it('kill -9 during STOW-RS: every acknowledged instance survives intact, nothing half-written is indexed', async () => {
    const cfg = writeConfig();
    const insts = syntheticMrStudy({ seed: 'crash-stow', series: 4, slicesPerSeries: 30, rows: 96, columns: 96 }); // 120 x ~18 kB
    const bySop = new Map<string, SyntheticInstance>(insts.map((i) => [i.sopInstanceUid, i]));
    const study = insts[0]!.studyInstanceUid;
    const acked = new Set<string>();
    for (let round = 0; round < 2; round++) {
      child = await spawnNode((_d, cli) => [cli, '--config', cfg, 'serve']);
      const url = child.httpUrl;
      // One request finishes (acknowledged), then three stream concurrently and the process dies under them.
      const first = await slowStow(url, multipartRelated(insts.slice(round * 10, round * 10 + 10).map((i) => i.bytes), 'r0'), 'r0', 1 << 20, 0);
      expect('status' in first && first.status).toBe(200);
      for (const s of acknowledged(first)) acked.add(s);
      let sent = 0;
      const bodies = [0, 1, 2].map((k) => multipartRelated(insts.filter((_i, n) => n % 3 === k).map((i) => i.bytes), `k${k}`));
      const total = bodies.reduce((a, b) => a + b.length, 0);
      const inflight = bodies.map((b, k) =>
        slowStow(url, b, `k${k}`, 7000 + k * 1000, 2, (n) => (sent += n)).then((r) => {
          for (const s of acknowledged(r)) acked.add(s);
          return r;
        }),
      );
      // Die somewhere in the middle of the streams (a different point each round).
      while (sent < total * (0.35 + 0.3 * round)) await sleep(5);
      await kill9(child);
      child = undefined;
      const results = await Promise.all(inflight);
      expect(results.some((r) => 'error' in r)).toBe(true); // the kill really cut requests off
    }
    child = await spawnNode((_d, cli) => [cli, '--config', cfg, 'serve']);
    const stored = await retrieveAll(child.httpUrl, study);
    for (const sop of acked) expect([sop, stored.get(sop)]).toEqual([sop, sha(bySop.get(sop)!.bytes)]);
    // Whatever else got in (parts completed before the kill) is whole, too.
    for (const [sop, digest] of stored) expect([sop, digest]).toEqual([sop, sha(bySop.get(sop)!.bytes)]);
    expect(stored.size).toBeGreaterThanOrEqual(acked.size);
    expect(readdirSync(join(dir, 'var', 'store', 'tmp'))).toEqual([]);
    // The unclean stops were noticed and reconciled.
    expect(child.stderr()).toMatch(/"message":"store opened after an unclean stop"/);
    // A full resend completes the study; nothing is duplicated.
    const resend = await slowStow(child.httpUrl, multipartRelated(insts.map((i) => i.bytes), 'all'), 'all', 1 << 20, 0);
    expect('status' in resend && resend.status).toBe(200);
    const health = (await (await fetch(`${child.httpUrl}/healthz`)).json()) as { instances: number };
    expect(health.instances).toBe(insts.length);
    // SIGTERM is a graceful stop: exit 0 and a clean store (no reconciliation needed next time).
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    child = undefined;
    expect(existsSync(join(dir, 'var', 'store', 'CLEAN'))).toBe(true);
  });

  it('kill -9 mid-job: the job resumes at the interrupted stage after restart', async () => {
    const cfg = writeConfig();
    const calls = join(dir, 'calls.jsonl');
    // A node (dist/node.js) whose stage handlers log each call; in "slow" mode, inferring hangs until killed.
    const script = `
      const fs = require('fs');
      const { startNode } = require(process.env.DIST + '/node.js');
      const { loadConfig } = require(process.env.DIST + '/config/load.js');
      const { UNCHECKED_OUTPUTS } = require(process.env.DIST + '/jobs/types.js');
      const stages = {};
      for (const s of ['identifying', 'preprocessing', 'inferring', 'encoding', 'delivering']) {
        stages[s] = async (ctx) => {
          fs.appendFileSync(process.env.CALLS, JSON.stringify({ pid: process.pid, stage: s, attempt: ctx.attempt, saw: Object.keys(ctx.outputs) }) + '\\n');
          if (process.env.MODE === 'slow' && s === 'inferring') await new Promise((r) => setTimeout(r, 120000));
          return { stage: s, pid: process.pid };
        };
      }
      startNode(loadConfig({ file: process.argv[1] }), { stages: { handlers: stages, outputs: UNCHECKED_OUTPUTS } }).then((n) => process.stdout.write(JSON.stringify({ event: 'listening', http: n.httpUrl }) + '\\n'));
    `;
    const start = (mode: string): Promise<ChildNode> => spawnNode((dist) => ['-e', script.replace(/process\.env\.DIST/g, JSON.stringify(dist)), cfg], { MODE: mode, CALLS: calls });
    child = await start('slow');
    const insts = syntheticMrStudy({ seed: 'crash-job', series: 2, slicesPerSeries: 3 });
    const study = insts[0]!.studyInstanceUid;
    const stow = await slowStow(child.httpUrl, multipartRelated(insts.map((i) => i.bytes), 'j'), 'j', 1 << 20, 0);
    expect('status' in stow && stow.status).toBe(200);
    const ready = (await (await fetch(`${child.httpUrl}/api/studies/${study}/ready`, { method: 'POST' })).json()) as { job: { id: number } };
    const jobId = ready.job.id;
    for (let i = 0; i < 200 && !(existsSync(calls) && readFileSync(calls, 'utf8').includes('"inferring"')); i++) await sleep(50);
    const before = (await (await fetch(`${child.httpUrl}/api/jobs/${jobId}`)).json()) as { state: string };
    expect(before.state).toBe('inferring');
    const firstPid = child.proc.pid;
    await kill9(child);
    appendFileSync(calls, JSON.stringify({ killed: firstPid }) + '\n');

    child = await start('fast');
    let job: { state: string; runs: Array<{ stage: string; status: string; attempt: number }> } = { state: '', runs: [] };
    for (let i = 0; i < 200; i++) {
      job = (await (await fetch(`${child.httpUrl}/api/jobs/${jobId}`)).json()) as typeof job;
      if (job.state === 'done' || job.state === 'failed') break;
      await sleep(50);
    }
    expect(job.state).toBe('done');
    expect(job.runs.map((r) => `${r.stage}:${r.status}:${r.attempt}`)).toEqual([
      'identifying:ok:1',
      'preprocessing:ok:1',
      'inferring:interrupted:1',
      'inferring:ok:2',
      'encoding:ok:1',
      'delivering:ok:1',
    ]);
    const log = readFileSync(calls, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid?: number; stage?: string; saw?: string[] });
    const second = log.filter((l) => l.pid === child!.proc.pid);
    // The restarted node ran only the rest, with the earlier outputs read back from the job folder.
    expect(second.map((l) => l.stage)).toEqual(['inferring', 'encoding', 'delivering']);
    expect(second[0]!.saw).toEqual(['identifying', 'preprocessing']);
  });
});
