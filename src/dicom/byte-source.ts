/**
 * Random access to the bytes of a Part 10 object, in memory or on disk. The element walker reads through this, so
 * a 2 GB multi-frame file on disk is walked through a small window and never has to be in memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  readonly size: number;
  /** `len` bytes from `pos` (fewer only at the end of the source). */
  bytes(pos: number, len: number): Uint8Array;
}

export function bufferSource(buf: Uint8Array): ByteSource {
  return { size: buf.length, bytes: (pos, len) => buf.subarray(pos, Math.min(buf.length, pos + len)) };
}

/** A file read through a small window cache; call close() when done. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const WINDOW = 64 * 1024;
  let winStart = -1;
  let win = Buffer.alloc(0);
  return {
    size,
    bytes(pos, len) {
      if (winStart >= 0 && pos >= winStart && pos + len <= winStart + win.length) {
        return win.subarray(pos - winStart, pos - winStart + len);
      }
      const want = Math.max(len, WINDOW);
      const buf = Buffer.allocUnsafe(Math.min(want, Math.max(0, size - pos)));
      const n = buf.length ? readSync(fd, buf, 0, buf.length, pos) : 0;
      winStart = pos;
      win = buf.subarray(0, n);
      return win.subarray(0, Math.min(len, n));
    },
    close: () => closeSync(fd),
  };
}

/** One array holding `parts` one after the other (fragments of one frame). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** The bytes as latin1 text (UIDs, code strings), without the trailing NUL/space padding. */
export function paddedAscii(b: Uint8Array, start: number, length: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, length).toString('latin1').replace(/[\0 ]+$/, '');
}
