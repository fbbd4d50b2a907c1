/**
 * Crash-safe file primitives. A file is durable once its data is fsynced AND the directory entry that names it is
 * fsynced; rename() within one file system is atomic, so readers see either no file or the whole file.
 */
import { promises as fsp, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsync a directory so that entries created/renamed in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` (new file) and fsyncs it. The name is not yet durable: see fsyncDir. */
export async function writeFileSynced(path: string, data: Uint8Array): Promise<void> {
  const fh = await fsp.open(path, 'wx', 0o644);
  try {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync an existing file's data. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * mkdir -p that returns the directories it created (deepest last). Their parents must be fsynced for the new
 * entries to be durable.
 */
export async function mkdirpTracked(dir: string): Promise<string[]> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (!first) return [];
  const created: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    created.unshift(d);
    if (d === first || dirname(d) === d) break;
  }
  return created;
}

/** Writes a small file atomically (temp + fsync + rename + fsync dir), e.g. a job's stage output. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFileSynced(tmp, typeof data === 'string' ? Buffer.from(data) : data);
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}
