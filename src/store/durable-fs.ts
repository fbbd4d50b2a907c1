/**
 * Crash-safe file primitives. A file is durable once its data is fsynced AND the directory entry that names it is
 * fsynced; rename() within one file system is atomic, so readers see either no file or the whole file.
 */
import fs, { promises as fsp, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsync a directory so that entries created/renamed in it survive a crash. */
export function fsyncDir(dir: string): Promise<void> {
  return fsyncPath(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
}

function fsyncPath(path: string, flags: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(path, flags, (err, fd) => {
      if (err) return reject(err);
      fs.fsync(fd, (e) => fs.close(fd, (e2) => (e ?? e2 ? reject(e ?? e2) : resolve())));
    });
  });
}

/**
 * Writes `data` to `path` (new file) and fsyncs it. The name is not yet durable: see fsyncDir.
 * Uses the callback fs API with a raw descriptor: per object it costs far less than a FileHandle (measured).
 */
export function writeFileSynced(path: string, data: Uint8Array, sync = true): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(path, 'wx', 0o644, (err, fd) => {
      if (err) return reject(err);
      const fail = (e: unknown): void => fs.close(fd, () => reject(e));
      const writeFrom = (off: number): void => {
        if (off >= data.length) {
          if (!sync) return fs.close(fd, (e2) => (e2 ? reject(e2) : resolve()));
          fs.fsync(fd, (e) => {
            if (e) return fail(e);
            fs.close(fd, (e2) => (e2 ? reject(e2) : resolve()));
          });
          return;
        }
        fs.write(fd, data, off, data.length - off, null, (e, n) => (e ? fail(e) : writeFrom(off + n)));
      };
      writeFrom(0);
    });
  });
}

/** fsync an existing file's data. */
export function fsyncFile(path: string): Promise<void> {
  return fsyncPath(path, fsc.O_RDWR);
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
