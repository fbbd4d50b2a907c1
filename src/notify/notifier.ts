/**
 * Notifications (docs/notifications.md): failed jobs, dead-lettered deliveries, studies that lack the series their
 * models need, and a filling data disk, sent to webhooks and by e-mail. Events go first into a SQLite outbox in the
 * node's database, in the same moment the job changes, so a notification survives a restart; a dispatcher sends
 * each (event, channel) once, with retries and exponential back-off, and gives up after maxAttempts (logged).
 */
import { randomUUID } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config/schema';
import type { NotificationEventKind } from '../config/sections/notifications';
import type { JobMachine } from '../jobs/machine';
import type { Logger } from '../log/logger';
import { migrate, type Db } from '../store/database';
import { diskSpaceMb, type DiskSpaceGuard } from '../store/disk-space';
import { emailTransport, sendEmail } from './email';
import { diskEvent, jobEvent, type NotificationEvent } from './events';
import { postWebhook, type SendOutcome } from './webhook';

const MIGRATIONS = [
  `CREATE TABLE notification_outbox (
     id INTEGER PRIMARY KEY,
     channel TEXT NOT NULL,
     event_key TEXT NOT NULL,
     event_json TEXT NOT NULL,
     delivery_id TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL,
     last_error TEXT,
     created_at INTEGER NOT NULL,
     UNIQUE (channel, event_key)
   );
   CREATE INDEX notification_outbox_pending ON notification_outbox(state, next_at);`,
];

interface Channel {
  id: string;
  events: readonly NotificationEventKind[];
  maxAttempts: number;
  initialBackoffMs: number;
  send(event: NotificationEvent, deliveryId: string): Promise<SendOutcome>;
}

interface OutboxRow {
  id: number;
  channel: string;
  event_json: string;
  delivery_id: string;
  attempts: number;
}

export interface OutboxEntry {
  channel: string;
  eventKey: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError?: string;
}

export interface NotifierOptions {
  db: Db;
  config: Config;
  jobs: JobMachine;
  disk: DiskSpaceGuard;
  logger: Logger;
  /** The node's own base URL for links to job pages (known once HTTP listens). */
  pageBase?: () => string | undefined;
  now?: () => number;
}

export class Notifier {
  private readonly channels: Channel[] = [];
  private readonly now: () => number;
  private readonly log: Logger;
  private unsubscribe?: () => void;
  private diskTimer?: NodeJS.Timeout;
  private wakeTimer?: NodeJS.Timeout;
  private dispatching?: Promise<void>;
  private again = false;
  private diskLow = false;
  private closed = false;
  private transport?: Transporter;

  constructor(private readonly opts: NotifierOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    migrate(opts.db, 'notify', MIGRATIONS);
    const n = opts.config.notifications;
    for (const w of n.webhooks) {
      this.channels.push({
        id: `webhook:${w.name}`,
        events: w.events,
        maxAttempts: w.maxAttempts,
        initialBackoffMs: w.initialBackoffSeconds * 1000,
        send: (e, id) => postWebhook(w, e, id, this.now()),
      });
    }
    if (n.email) {
      const settings = n.email;
      this.channels.push({
        id: 'email',
        events: settings.events,
        maxAttempts: settings.maxAttempts,
        initialBackoffMs: settings.initialBackoffSeconds * 1000,
        send: (e, id) => sendEmail((this.transport ??= emailTransport(settings)), settings, e, id),
      });
    }
  }

  /** True when at least one channel is configured (otherwise start() does nothing). */
  get enabled(): boolean {
    return this.channels.length > 0;
  }

  start(): void {
    if (!this.enabled) return;
    this.unsubscribe = this.opts.jobs.onChange((job) => {
      const e = jobEvent(job, this.opts.config.node.name, this.opts.pageBase?.());
      if (e) this.enqueue(e);
    });
    const every = this.opts.config.notifications.diskCheckSeconds * 1000;
    const tick = (): void => void this.checkDisk();
    this.diskTimer = setInterval(tick, every);
    this.diskTimer.unref();
    tick();
    this.kick(); // anything left pending by the previous run
  }

  /** Puts an event in the outbox for every channel that wants its kind (once per channel and event key). */
  enqueue(event: NotificationEvent): void {
    const insert = this.opts.db.prepare(
      `INSERT OR IGNORE INTO notification_outbox (channel, event_key, event_json, delivery_id, state, next_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
    );
    const now = this.now();
    let added = 0;
    for (const c of this.channels) {
      if (!c.events.includes(event.kind)) continue;
      added += insert.run(c.id, event.key, JSON.stringify(event), randomUUID(), now, now).changes;
    }
    if (added) {
      this.log.info('notification queued', { event: event.kind, jobId: event.jobId, studyInstanceUid: event.studyInstanceUid, channels: added });
      this.kick();
    }
  }

  /** The outbox, oldest first (for tests and the operator). */
  outbox(): OutboxEntry[] {
    return (this.opts.db.prepare('SELECT channel, event_key, state, attempts, last_error FROM notification_outbox ORDER BY id').all() as Array<{ channel: string; event_key: string; state: OutboxEntry['state']; attempts: number; last_error: string | null }>).map((r) => ({
      channel: r.channel,
      eventKey: r.event_key,
      state: r.state,
      attempts: r.attempts,
      ...(r.last_error ? { lastError: r.last_error } : {}),
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.diskTimer) clearInterval(this.diskTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.dispatching;
    this.transport?.close();
  }

  private async checkDisk(): Promise<void> {
    const d = await this.opts.disk.check().catch(() => undefined);
    if (!d) return;
    const { freeMb, minFreeMb } = diskSpaceMb(d);
    const warnMb = this.opts.config.notifications.diskWarnMb || 2 * minFreeMb;
    if (warnMb <= 0) return;
    if (!this.diskLow && freeMb < warnMb) {
      this.diskLow = true;
      this.enqueue(diskEvent(this.opts.config.node.name, freeMb, warnMb, minFreeMb, this.now()));
    } else if (this.diskLow && freeMb > warnMb * 1.1) {
      this.diskLow = false; // 10 % hysteresis: no new warning for every MB that comes and goes
    }
  }

  /** Runs the dispatcher now, or once more after the run in progress. */
  private kick(): void {
    if (this.closed) return;
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = this.dispatch().finally(() => {
      this.dispatching = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      } else this.schedule();
    });
  }

  private schedule(): void {
    if (this.closed) return;
    const next = this.opts.db.prepare(`SELECT MIN(next_at) AS at FROM notification_outbox WHERE state = 'pending'`).get() as { at: number | null };
    if (next.at === null) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, next.at - this.now()));
    this.wakeTimer.unref();
  }

  private async dispatch(): Promise<void> {
    const due = this.opts.db.prepare(`SELECT id, channel, event_json, delivery_id, attempts FROM notification_outbox WHERE state = 'pending' AND next_at <= ? ORDER BY id`).all(this.now()) as OutboxRow[];
    for (const row of due) {
      if (this.closed) return;
      const channel = this.channels.find((c) => c.id === row.channel);
      if (!channel) {
        // The channel was removed from the configuration since the event was queued.
        this.opts.db.prepare(`UPDATE notification_outbox SET state = 'failed', last_error = ? WHERE id = ?`).run('channel no longer configured', row.id);
        continue;
      }
      const event = JSON.parse(row.event_json) as NotificationEvent;
      const outcome = await channel.send(event, row.delivery_id);
      const attempts = row.attempts + 1;
      if (outcome.ok) {
        this.opts.db.prepare(`UPDATE notification_outbox SET state = 'sent', attempts = ?, last_error = NULL WHERE id = ?`).run(attempts, row.id);
        this.log.info('notification sent', { channel: channel.id, event: event.kind, jobId: event.jobId, attempts });
      } else if (!outcome.retry || attempts >= channel.maxAttempts) {
        this.opts.db.prepare(`UPDATE notification_outbox SET state = 'failed', attempts = ?, last_error = ? WHERE id = ?`).run(attempts, outcome.error, row.id);
        this.log.error('notification given up', { channel: channel.id, event: event.kind, jobId: event.jobId, attempts, error: outcome.error });
      } else {
        const delay = channel.initialBackoffMs * 2 ** (attempts - 1);
        this.opts.db.prepare(`UPDATE notification_outbox SET attempts = ?, last_error = ?, next_at = ? WHERE id = ?`).run(attempts, outcome.error, this.now() + delay, row.id);
        this.log.warn('notification failed, will retry', { channel: channel.id, event: event.kind, jobId: event.jobId, attempts, error: outcome.error, retryInMs: delay });
      }
    }
  }
}
