/** Runs `serve --role receiver|worker` from dist/ as real child processes (test/cluster). */
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureBuilt } from './build';

export interface Proc {
  proc: ChildProcess;
  ready: Record<string, unknown>;
  stderr(): string;
  exited: Promise<unknown>;
}

/** `node dist/cli/main.js serve --role <role>` with a config file; resolves with its first JSON event line. */
export async function serve(role: 'receiver' | 'worker', configFile: string): Promise<Proc> {
  const { root, cliPath } = await ensureBuilt();
  const proc = spawn(process.execPath, [cliPath, 'serve', '--role', role], { cwd: root, env: { ...process.env, NEURO_ONC_CONFIG: configFile, LOG_FORMAT: 'json', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-100_000)));
  const exited = new Promise((r) => proc.once('exit', r));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${role} did not start:\n${err.slice(-3000)}`)), 90_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{"event"') || !line.endsWith('}')) continue;
        try {
          const ev = JSON.parse(line) as Record<string, unknown>;
          clearTimeout(timer);
          resolve(ev);
        } catch {
          // not the whole line yet
        }
      }
    });
    void exited.then(() => reject(new Error(`${role} exited before it was ready:\n${err.slice(-3000)}`)));
  });
  return { proc, ready, stderr: () => err, exited };
}

export async function stopProc(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill(signal);
  await p.exited;
}
