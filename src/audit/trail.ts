/**
 * The audit trail: an append-only JSON-lines file, <dataDir>/audit/audit-log.jsonl, one hash-chained record per
 * line (chain.ts), with the chain head anchored in the SQLite database (table audit_anchors) every
 * `anchorEvery` records, every `anchorIntervalMs` and at close. The file is the record; the anchors make a
 * rewrite of the whole file (every hash recomputed) or a cut-off end detectable, since the database is a
 * separate file with its own writer.
 *
 *   const trail = AuditTrail.open({ dataDir, db, logger });
 *   trail.record({ type: 'deletion', reason: 'operator', studyInstanceUid, instances: 12 });
 *   trail.close();
 *
 * record() appends synchronously (one write() per line, so records keep their order and the chain never forks)
 * and fsyncs at each anchor, not per record: a power loss can lose the records since the last anchor, never
 * reorder or corrupt earlier ones.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../store/database';
import { migrate } from '../store/database';
import type { Logger } from '../log/logger';
import { recordHash, recordLine, seal, type Anchor } from './chain';
import type { AuditEvent, AuditRecord, AuditSink } from './events';

export function auditLogPath(dataDir: string): string {
  return join(dataDir, 'audit', 'audit-log.jsonl');
}

export function migrateAudit(db: Db): void {
  migrate(db, 'audit', [
    `CREATE TABLE audit_anchors (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, offset INTEGER NOT NULL, at TEXT NOT NULL);
     CREATE TABLE audit_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE audit_export (repository TEXT PRIMARY KEY, seq INTEGER NOT NULL, offset INTEGER NOT NULL, updated_at TEXT NOT NULL);`,
  ]);
}

export function readAnchors(db: Db): Anchor[] {
  return db.prepare('SELECT seq, hash, offset, at FROM audit_anchors ORDER BY seq').all() as Anchor[];
}

export interface AuditTrailOptions {
  dataDir: string;
  db: Db;
  logger: Logger;
  /** Anchor the head after this many records (default 100). */
  anchorEvery?: number;
  /** ... and at least this often while records arrive (default 60 s). */
  anchorIntervalMs?: number;
  now?: () => Date;
}

/**
 * The last complete line of the log (records are far below 1 MiB) and the offset just past it; `end` is less than
 * the file size when the file ends in a torn line (a crash in the middle of a write).
 */
function lastLine(fd: number, size: number): { line?: string; end: number } {
  const n = Math.min(size, 1 << 20);
  const buf = Buffer.alloc(n);
  readSync(fd, buf, 0, n, size - n);
  const end = buf.lastIndexOf(0x0a) + 1;
  if (end === 0) return { end: size - n };
  const start = buf.lastIndexOf(0x0a, end - 2) + 1;
  return { line: buf.subarray(start, end - 1).toString('utf8'), end: size - n + end };
}

/** The line of the log that ends at byte `end` (an anchor's offset). */
function lineEndingAt(fd: number, end: number): string | undefined {
  const n = Math.min(end, 1 << 20);
  const buf = Buffer.alloc(n);
  readSync(fd, buf, 0, n, end - n);
  if (buf[n - 1] !== 0x0a) return undefined;
  const start = buf.lastIndexOf(0x0a, n - 2);
  return buf.subarray(start + 1, n - 1).toString('utf8');
}

export class AuditTrail implements AuditSink {
  readonly path: string;
  private readonly fd: number;
  private head?: { seq: number; hash: string };
  private offset: number;
  private anchored = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly listeners: Array<() => void> = [];
  private readonly now: () => Date;
  private readonly anchorEvery: number;
  /** Problems found when opening (tamper-detected records were appended for each). */
  readonly openProblems: string[] = [];

  private constructor(private readonly opts: AuditTrailOptions) {
    this.path = auditLogPath(opts.dataDir);
    mkdirSync(join(opts.dataDir, 'audit'), { recursive: true });
    migrateAudit(opts.db);
    this.now = opts.now ?? (() => new Date());
    this.anchorEvery = opts.anchorEvery ?? 100;
    this.fd = openSync(this.path, 'a+', 0o640);
    const size = fstatSync(this.fd).size;
    this.offset = size;
    const last = size ? lastLine(this.fd, size) : undefined;
    if (last) {
      try {
        if (last.line !== undefined) {
          const r = JSON.parse(last.line) as AuditRecord;
          this.head = { seq: r.seq, hash: r.hash };
        }
      } catch {
        this.openProblems.push(`the last line of ${this.path} is not a record`);
      }
      if (last.end !== size) {
        this.openProblems.push(`the log ended in the middle of a line (a write cut off at ${last.end} bytes); the chain continues after it`);
        writeSync(this.fd, '\n');
        this.offset = size + 1;
      }
    }
    this.checkLastAnchor();
    for (const p of this.openProblems) {
      this.opts.logger.error(`audit trail: ${p} (run \`neuro-onc-node audit verify\`)`);
      this.record({ type: 'tamper-detected', seq: (this.head?.seq ?? 0) + 1, problem: p });
    }
    const interval = opts.anchorIntervalMs ?? 60_000;
    this.timer = setInterval(() => this.anchor(), interval);
    this.timer.unref();
  }

  static open(opts: AuditTrailOptions): AuditTrail {
    return new AuditTrail(opts);
  }

  /** Cheap start-up check: the last anchored record must still be in the file, unchanged, at the same place. */
  private checkLastAnchor(): void {
    const a = this.opts.db.prepare('SELECT seq, hash, offset, at FROM audit_anchors ORDER BY seq DESC LIMIT 1').get() as Anchor | undefined;
    if (!a) return;
    this.anchored = a.seq;
    if (a.offset > this.offset) {
      this.openProblems.push(`the log is ${this.offset} bytes long but record ${a.seq} was anchored at ${a.offset} bytes on ${a.at}: records were removed`);
      return;
    }
    const line = lineEndingAt(this.fd, a.offset);
    let ok = false;
    try {
      const r = line === undefined ? undefined : (JSON.parse(line) as AuditRecord);
      ok = !!r && r.seq === a.seq && r.hash === a.hash && recordHash(r) === r.hash;
    } catch {
      ok = false;
    }
    if (!ok) this.openProblems.push(`record ${a.seq}, anchored on ${a.at}, is no longer what the log holds at that place: the log was changed`);
  }

  record(event: AuditEvent): void {
    if (this.closed) {
      this.opts.logger.error('audit event after the trail was closed (not recorded)', { type: event.type });
      return;
    }
    const r = seal(this.head, event, this.now());
    const line = Buffer.from(recordLine(r));
    try {
      writeSync(this.fd, line);
    } catch (e) {
      // The node goes on (receiving must not stop because the audit disk is full), loudly.
      this.opts.logger.error('cannot append to the audit log', { path: this.path, error: (e as Error).message, type: event.type });
      return;
    }
    this.offset += line.length;
    this.head = { seq: r.seq, hash: r.hash };
    if (r.seq - this.anchored >= this.anchorEvery) this.anchor();
    for (const l of this.listeners) l();
  }

  /** fsyncs the log and copies its head into the database. */
  anchor(): void {
    if (!this.head || this.head.seq === this.anchored) return;
    try {
      fsyncSync(this.fd);
      this.opts.db.prepare('INSERT OR REPLACE INTO audit_anchors (seq, hash, offset, at) VALUES (?, ?, ?, ?)').run(this.head.seq, this.head.hash, this.offset, this.now().toISOString());
      this.anchored = this.head.seq;
    } catch (e) {
      this.opts.logger.error('cannot anchor the audit log', { error: (e as Error).message });
    }
  }

  /** Called after every appended record (the exporter wakes up). */
  onAppend(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => void this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** The last record's number and hash. */
  get last(): { seq: number; hash: string } | undefined {
    return this.head;
  }

  /** Bytes in the log. */
  get size(): number {
    return this.offset;
  }

  /** A value the trail keeps between runs (the configuration hash). */
  state(key: string): string | undefined {
    return (this.opts.db.prepare('SELECT value FROM audit_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setState(key: string, value: string): void {
    this.opts.db.prepare('INSERT INTO audit_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.closed) return;
    this.anchor();
    this.closed = true;
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}
