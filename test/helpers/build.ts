/**
 * Compiles the node (`tsc -p tsconfig.build.json` -> dist/) once per test run, for tests that spawn the real
 * CLI as a child process (`node dist/cli/main.js serve ...`). Safe when several jest workers call it at once:
 * a lock directory serialises builds, and a stamp (newest source mtime at build time) skips the build when
 * nothing in src/ changed since.
 *
 *   const { cliPath, root } = await ensureBuilt();
 *   spawn(process.execPath, [cliPath, 'serve', ...], { cwd: root });
 *
 * Type errors do not stop the build (tsc still emits JavaScript; `npm run typecheck` reports them); a build that
 * produces no dist/cli/main.js throws with tsc's output.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp.json');
const LOCK = join(DIST, '.build.lock');
const STALE_LOCK_MS = 5 * 60_000;

export interface Built {
  root: string;
  dist: string;
  /** dist/cli/main.js */
  cliPath: string;
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!existsSync(join(DIST, 'cli', 'main.js')) || !existsSync(STAMP)) return false;
  try {
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as { newestSource: number };
    const tsconfigs = Math.max(statSync(join(ROOT, 'tsconfig.json')).mtimeMs, statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs);
    return stamp.newestSource >= Math.max(newestSourceMtime(join(ROOT, 'src')), tsconfigs);
  } catch {
    return false;
  }
}

function tryLock(): boolean {
  mkdirSync(DIST, { recursive: true });
  try {
    mkdirSync(LOCK);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // A lock left by a killed test run is taken over after a while.
    if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) {
      rmdirSync(LOCK);
      return tryLock();
    }
    return false;
  }
}

function runTsc(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}

let once: Promise<Built> | undefined;

/** Builds dist/ if any source changed since the last build; resolves the paths to spawn. */
export function ensureBuilt(): Promise<Built> {
  once ??= (async () => {
    const built = { root: ROOT, dist: DIST, cliPath: join(DIST, 'cli', 'main.js') };
    for (;;) {
      if (upToDate()) return built;
      if (tryLock()) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    try {
      if (upToDate()) return built; // another worker built it while we waited
      const newestSource = newestSourceMtime(join(ROOT, 'src'));
      const { code, output } = await runTsc();
      if (!existsSync(built.cliPath)) throw new Error(`tsc -p tsconfig.build.json produced no dist/cli/main.js (exit ${code}):\n${output.slice(0, 4000)}`);
      if (code !== 0) process.stderr.write(`test/helpers/build: tsc reported errors but emitted dist/ (see npm run typecheck):\n${output.slice(0, 2000)}\n`);
      writeFileSync(STAMP, JSON.stringify({ newestSource, builtAt: new Date().toISOString(), tscExit: code }));
      return built;
    } finally {
      rmdirSync(LOCK);
    }
  })();
  return once;
}
