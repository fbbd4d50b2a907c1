/** Runs the real node as a child process (compiled dist/, see test/helpers/build.ts) and finds its URL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureBuilt } from '../helpers/build';

export interface ChildNode {
  proc: ChildProcess;
  httpUrl: string;
  stderr(): string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node <args>` in the repository root and waits for its {"event":"listening","http":...} line. */
export async function spawnNode(args: (dist: string, cliPath: string) => string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60000): Promise<ChildNode> {
  const { root, dist, cliPath } = await ensureBuilt();
  const proc = spawn(process.execPath, args(dist, cliPath), { cwd: root, env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const httpUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`node did not report listening within ${timeoutMs} ms:\n${err.slice(-4000)}`));
    }, timeoutMs);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        try {
          const m = JSON.parse(line) as { event?: string; http?: string };
          if (m.event === 'listening' && m.http) {
            clearTimeout(timer);
            resolve(m.http);
          }
        } catch {
          // not a JSON line
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${code ?? signal}) before listening:\n${err.slice(-4000)}`));
    });
  });
  return { proc, httpUrl, stderr: () => err, exited };
}

/** SIGKILL and wait until the process is gone. */
export async function kill9(child: ChildNode): Promise<void> {
  if (child.proc.exitCode == null && child.proc.signalCode == null) child.proc.kill('SIGKILL');
  await child.exited;
}
