/** Helpers shared by the synth tests (not a test file). */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** All files under a folder, relative paths, sorted. */
export function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    if (statSync(join(root, p)).isDirectory()) out.push(...listFiles(root, p));
    else out.push(p);
  }
  return out;
}

export function sha256(buf: Buffer | Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export function hashTree(root: string): Record<string, string> {
  return Object.fromEntries(listFiles(root).map((f) => [f, sha256(readFileSync(join(root, f)))]));
}

/** Median of the values where mask(i) is true. */
export function medianWhere(values: ArrayLike<number>, mask: (i: number) => boolean): number {
  const v: number[] = [];
  for (let i = 0; i < values.length; i++) if (mask(i)) v.push(values[i]!);
  if (!v.length) return NaN;
  v.sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
}

export function meanWhere(values: ArrayLike<number>, mask: (i: number) => boolean): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask(i)) {
      s += values[i]!;
      n++;
    }
  }
  return n ? s / n : NaN;
}
