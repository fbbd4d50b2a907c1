/**
 * Collects one C-STORE data set as it arrives in P-DATA fragments, already prefixed with its Part 10 header, so
 * that the received bytes are stored exactly as sent. Small instances stay in memory; past `memoryLimitBytes` the
 * spool moves to a temporary file (Enhanced MR objects can be hundreds of MB). A spool that is not completed (the
 * association was aborted or the connection dropped mid-transfer) is discarded: nothing half-received is stored.
 *
 * dcmjs-dimse treats the spool as a Writable: it calls write(fragment), once('drain') and end(). Writes are
 * synchronous and always return true on purpose: dcmjs-dimse handles PDUs in an un-awaited async event handler,
 * so a write that returned false would let the next PDU be processed before this one finished.
 */
import { EventEmitter } from 'node:events';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type SpoolResult = { kind: 'buffer'; buffer: Buffer; bytes: number } | { kind: 'file'; path: string; bytes: number };

export class InstanceSpool extends EventEmitter {
  private chunks: Buffer[] = [];
  private inMemory = 0;
  private fd: number | undefined;
  private path: string | undefined;
  private total = 0;
  private finished = false;
  private discarded = false;
  /** First write error (e.g. ENOSPC on the spool folder); the C-STORE then fails with "out of resources". */
  error: Error | undefined;

  constructor(
    header: Buffer,
    private readonly spoolDir: string,
    private readonly memoryLimitBytes: number,
  ) {
    super();
    this.append(header);
  }

  /** Bytes received so far (header included). */
  get bytes(): number {
    return this.total;
  }

  write(chunk: Buffer): boolean {
    if (!this.finished && !this.discarded) this.append(chunk);
    return true;
  }

  end(): this {
    this.finished = true;
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    return this;
  }

  /** The complete Part 10 file (call after end()). The caller owns a returned file and must remove it. */
  result(): SpoolResult {
    if (!this.finished) throw new Error('spool not finished');
    if (this.path) return { kind: 'file', path: this.path, bytes: this.total };
    const buffer = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.inMemory);
    this.chunks = [];
    return { kind: 'buffer', buffer, bytes: this.total };
  }

  /** Drops whatever was received (partial instance after an abort); idempotent. */
  discard(): void {
    this.discarded = true;
    this.chunks = [];
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
    if (this.path) rmSync(this.path, { force: true });
  }

  private append(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.error) return;
    try {
      if (this.fd === undefined && this.inMemory + chunk.length > this.memoryLimitBytes) this.spill();
      if (this.fd !== undefined) {
        writeAll(this.fd, chunk);
      } else {
        this.chunks.push(chunk);
        this.inMemory += chunk.length;
      }
    } catch (e) {
      this.error = e as Error;
    }
  }

  private spill(): void {
    this.path = join(this.spoolDir, `dimse-${process.pid}-${randomBytes(8).toString('hex')}.part`);
    this.fd = openSync(this.path, 'wx', 0o600);
    for (const c of this.chunks) writeAll(this.fd, c);
    this.chunks = [];
    this.inMemory = 0;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
