/**
 * Sends the audit log to the site's audit record repository (audit.export), record by record, in order.
 *
 * The outbox is the log itself plus a cursor in the database (table audit_export: the last record sent and the
 * byte offset after it): nothing is copied, and nothing is lost while the repository is down or the node is
 * stopped; sending resumes after the last record that was handed to the network. A record whose send failed is
 * sent again (at least once: a repository may see a duplicate after a broken TLS session, never a gap).
 * A repository configured for the first time starts at the record after the current end of the log.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { AuditExportConfig } from '../config/sections/audit';
import { readPemFiles } from '../config/tls-files';
import type { Db } from '../store/database';
import type { Logger } from '../log/logger';
import { atnaMessages, type AtnaContext } from './atna';
import type { AuditRecord } from './events';
import { syslogMessage, tlsTransport, udpTransport, type SyslogTransport } from './syslog';
import type { AuditTrail } from './trail';

export interface ExportCursor {
  seq: number;
  offset: number;
}

/** Complete records in `buf` (which starts at a line boundary), with the offset after each. */
export function recordsIn(buf: Buffer, base: number): Array<{ record?: AuditRecord; end: number }> {
  const out: Array<{ record?: AuditRecord; end: number }> = [];
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    const line = buf.subarray(start, nl).toString('utf8');
    start = nl + 1;
    let record: AuditRecord | undefined;
    try {
      record = line ? (JSON.parse(line) as AuditRecord) : undefined;
    } catch {
      record = undefined; // a torn line: nothing to send, but the cursor moves past it
    }
    out.push({ ...(record ? { record } : {}), end: base + start });
  }
  return out;
}

export interface ExporterOptions {
  config: AuditExportConfig;
  trail: AuditTrail;
  db: Db;
  logger: Logger;
  /** AE title of the node (dimse.aeTitle) and AuditSourceID default (node.name). */
  aeTitle: string;
  nodeName: string;
  /** Test hook: a transport other than the configured one. */
  transport?: SyslogTransport;
}

export class AuditExporter {
  readonly repository: string;
  private readonly transport: SyslogTransport;
  private readonly ctx: AtnaContext;
  private cursor: ExportCursor;
  private running?: Promise<void>;
  private again = false;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly host = hostname();

  constructor(private readonly opts: ExporterOptions) {
    const c = opts.config;
    this.repository = `${c.transport}://${c.host}:${c.port}`;
    this.transport =
      opts.transport ??
      (c.transport === 'udp'
        ? udpTransport(c.host, c.port)
        : tlsTransport({ host: c.host, port: c.port, ...readPemFiles('audit.export.tls', c.tls ?? {}), ...((c.tls?.servername ?? (isIP(c.host) ? undefined : c.host)) ? { servername: c.tls?.servername ?? c.host } : {}), rejectUnauthorized: true }));
    this.ctx = { sourceId: c.sourceId ?? opts.nodeName, ...(c.enterpriseSiteId ? { enterpriseSiteId: c.enterpriseSiteId } : {}), aeTitle: opts.aeTitle, hostname: this.host, pid: process.pid };
    const row = opts.db.prepare('SELECT seq, offset FROM audit_export WHERE repository = ?').get(this.repository) as ExportCursor | undefined;
    this.cursor = row ?? { seq: opts.trail.last?.seq ?? 0, offset: opts.trail.size };
    if (!row) this.save();
    this.unsubscribe = opts.trail.onAppend(() => this.kick());
  }

  /** Records not yet handed to the repository. */
  get backlog(): number {
    return (this.opts.trail.last?.seq ?? 0) - this.cursor.seq;
  }

  get position(): ExportCursor {
    return { ...this.cursor };
  }

  private save(): void {
    this.opts.db
      .prepare('INSERT INTO audit_export (repository, seq, offset, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(repository) DO UPDATE SET seq = excluded.seq, offset = excluded.offset, updated_at = excluded.updated_at')
      .run(this.repository, this.cursor.seq, this.cursor.offset, new Date().toISOString());
  }

  /** Starts sending what is waiting (also called after every appended record). */
  kick(): void {
    if (this.closed || this.retryTimer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when everything recorded so far was sent (or sending failed and a retry is scheduled). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    const fd = openSync(this.opts.trail.path, 'r');
    try {
      while (!this.closed && this.cursor.offset < this.opts.trail.size) {
        const n = Math.min(this.opts.trail.size - this.cursor.offset, 1 << 20);
        const buf = Buffer.alloc(n);
        readSync(fd, buf, 0, n, this.cursor.offset);
        const batch = recordsIn(buf, this.cursor.offset);
        if (!batch.length) break; // a record is being written: its append will kick again
        for (const { record, end } of batch) {
          if (record) {
            for (const xml of atnaMessages(record, this.ctx)) {
              await this.transport.send(syslogMessage(xml, record.at, { hostname: this.host, appName: 'neuro-onc-node', procId: String(process.pid) }));
            }
          }
          this.cursor = { seq: record?.seq ?? this.cursor.seq, offset: end };
        }
        this.save();
      }
      if (this.failures) this.opts.logger.info('audit repository reachable again: backlog sent', { repository: this.repository, seq: this.cursor.seq });
      this.failures = 0;
    } catch (e) {
      this.save();
      this.transport.close();
      this.failures++;
      const c = this.opts.config;
      const delay = Math.min(c.maxBackoffSeconds, c.initialBackoffSeconds * 2 ** (this.failures - 1)) * 1000;
      // First failure and then every 10th: a repository down for hours must not flood the log.
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.opts.logger.warn('cannot send audit messages to the audit record repository; they wait in the outbox', { repository: this.repository, error: (e as Error).message, backlog: this.backlog, failures: this.failures, retryInSeconds: delay / 1000 });
      }
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
      this.retryTimer.unref();
    } finally {
      closeSync(fd);
    }
  }

  /** Stops sending (what is left stays in the outbox for the next start). */
  async close(): Promise<void> {
    this.unsubscribe();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const wait = this.running;
    this.closed = true;
    await wait;
    this.transport.close();
  }
}
