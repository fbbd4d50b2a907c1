/**
 * Closing the worker pool while a worker is inside an onnxruntime model run must not crash the process. Before the
 * native-call gate (src/ai/native-gate.ts) the worker was terminated inside the run and the process aborted
 * (SIGABRT, "terminate called after throwing an instance of 'Napi::Error'") about every second time: the node
 * crashed on SIGTERM instead of stopping cleanly. The last round exits the process with a worker inside a run, as a
 * second stop signal does, after stopNativeCalls(). Runs in a child process so that a crash fails this test only.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ensureBuilt } from '../helpers/build';

const BENCH_MODEL = resolve(__dirname, '..', 'fixtures', 'models', 'bench-unet');
const ROUNDS = 2;

it('stops a worker that is inside a model run, every time, without waiting for the task', async () => {
  const { dist, root } = await ensureBuilt();
  const child = spawn(process.execPath, [join(__dirname, '..', 'helpers', 'close-pool-mid-run.js'), dist, BENCH_MODEL, String(ROUNDS)], {
    cwd: root,
    env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  expect({ ...exit, stderr: exit.code === 0 ? '' : err }).toEqual({ code: 0, signal: null, stderr: '' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.at(-1)).toEqual({ round: 'exit', insideAtExit: 1, returned: true });
  const rounds = lines.slice(0, -1) as Array<{ round: number; insideAtClose: number; closeMs: number; task: string }>;
  expect(rounds.map((r) => r.round)).toEqual([...Array(ROUNDS).keys()]);
  for (const r of rounds) {
    // The close really landed inside a run, and the task was dropped, not finished.
    expect(r.insideAtClose).toBe(1);
    expect(r.task).toMatch(/worker pool was closed/);
    // It waited for one run to return, not for the whole task (the bench model's run is well under a second here).
    expect(r.closeMs).toBeLessThan(30_000);
  }
}, 400_000);
