/**
 * A real redis-server for a test or a bench scenario (never the system service; test/helpers/redis.ts re-exports it): loopback only, a free port, its own temp folder, AOF
 * on with fsync on every write (an acknowledged job is on disk), no RDB snapshots. restart() keeps port and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports';

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  /** Stops (SIGKILL when hard, else SIGTERM) and starts again on the same port and data folder. */
  restart(opts?: { hard?: boolean }): Promise<void>;
  /** Stops for good and removes the data folder. */
  stop(opts?: { hard?: boolean }): Promise<void>;
  start(): Promise<void>;
  /** One command over RESP, e.g. ['PING']; the raw reply. */
  command(args: string[]): Promise<string>;
}

export function redisCommand(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.setTimeout(2000, () => s.destroy(new Error('redis timeout')));
    s.on('connect', () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    s.on('data', (d) => {
      out += d.toString();
      if (out.endsWith('\r\n')) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', reject);
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async (): Promise<void> => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    proc = p;
    exited = new Promise((r) => p.once('exit', () => r()));
    await waitFor(async () => (await redisCommand(port, ['PING']).catch(() => '')).startsWith('+PONG'), 10_000, 'redis-server to answer PING');
  };
  const stop = async (opts: { hard?: boolean } = {}): Promise<void> => {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill(opts.hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    start,
    stop: async (opts) => {
      await stop(opts);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (opts) => {
      await stop(opts);
      await start();
    },
    command: (args) => redisCommand(port, args),
  };
}
