/**
 * Study completeness. A study is "receiving" while instances arrive and becomes "ready" once no new instance
 * has arrived for study.quietPeriodSeconds, or at once through markReady() (POST /api/studies/{uid}/ready).
 * An instance that arrives after a study was ready opens a new generation: the study is receiving again, and
 * the job machine starts a new job for it when it is ready again (its outputs supersede the earlier ones).
 *
 * State lives in SQLite (study_activity), so timers survive a restart: start() re-arms them from the persisted
 * last-arrival times, and reconciles with the store in case the process died between an instance's index
 * commit and this tracker's update.
 */
import type { Db } from '../store/database';
import { migrate, whereOf } from '../store/database';
import type { Logger } from '../log/logger';
import type { InstanceStore } from '../store/store';
import type { StoredEvent } from '../store/types';

export type StudyState = 'receiving' | 'ready';
export type ReadyReason = 'quiet-period' | 'api' | 'required-series';

export interface StudyActivity {
  studyInstanceUid: string;
  /** 1 for the first arrival; +1 for every arrival after the study was ready. */
  generation: number;
  state: StudyState;
  /** ms since epoch, first arrival of this generation */
  firstArrivalAt: number;
  lastArrivalAt: number;
  /** Instances that arrived in this generation. */
  instancesThisGeneration: number;
  readyAt?: number;
  readyReason?: ReadyReason;
}

export interface GenerationEvent {
  studyInstanceUid: string;
  generation: number;
}

export interface ReadyEvent extends GenerationEvent {
  reason: ReadyReason;
}

const MIGRATIONS = [
  `CREATE TABLE study_activity (
     study_uid TEXT PRIMARY KEY,
     generation INTEGER NOT NULL,
     state TEXT NOT NULL,
     first_arrival_at INTEGER NOT NULL,
     last_arrival_at INTEGER NOT NULL,
     instances_generation INTEGER NOT NULL,
     instances_seen INTEGER NOT NULL,
     ready_at INTEGER,
     ready_reason TEXT
   );
   CREATE INDEX study_activity_state ON study_activity(state);`,
];

interface Row {
  study_uid: string;
  generation: number;
  state: StudyState;
  first_arrival_at: number;
  last_arrival_at: number;
  instances_generation: number;
  instances_seen: number;
  ready_at: number | null;
  ready_reason: ReadyReason | null;
}

function toActivity(r: Row): StudyActivity {
  return {
    studyInstanceUid: r.study_uid,
    generation: r.generation,
    state: r.state,
    firstArrivalAt: r.first_arrival_at,
    lastArrivalAt: r.last_arrival_at,
    instancesThisGeneration: r.instances_generation,
    readyAt: r.ready_at ?? undefined,
    readyReason: r.ready_reason ?? undefined,
  };
}

/** Filters for listing studies: state, a set of studies, first-arrival time range (ms since the epoch). */
export interface StudyQuery {
  state?: StudyState;
  studyUids?: readonly string[];
  arrivedFrom?: number;
  arrivedTo?: number;
}

function studyWhere(q: StudyQuery): { where: string; args: unknown[] } {
  return whereOf([
    q.state && ['state = ?', q.state],
    q.studyUids && [`study_uid IN (${q.studyUids.map(() => '?').join(',') || 'NULL'})`, ...q.studyUids],
    q.arrivedFrom !== undefined && ['first_arrival_at >= ?', q.arrivedFrom],
    q.arrivedTo !== undefined && ['first_arrival_at < ?', q.arrivedTo],
  ]);
}

export interface StudyTrackerOptions {
  db: Db;
  store: InstanceStore;
  quietPeriodMs: number;
  logger: Logger;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * Instances of series with this Manufacturer are the node's own results (SEG/SR/SC/PDF sent back to it, e.g.
   * when the node is its own destination or a PACS forwards everything): they are stored and served, but they
   * never open a new generation of the study, which would re-process it in a loop.
   */
  ownManufacturer?: string;
  /**
   * Instances that are stored and served but never open a generation either: a radiologist's corrected SEG of one
   * of our results (src/review) is a review, not a new study to process.
   */
  isReviewInput?: (e: StoredEvent) => boolean;
}

export class StudyTracker {
  private readonly db: Db;
  private readonly store: InstanceStore;
  private readonly quietMs: number;
  private readonly ownManufacturer?: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly generationListeners: Array<(e: GenerationEvent) => void> = [];
  private readonly readyListeners: Array<(e: ReadyEvent) => void> = [];
  private unsubscribe?: () => void;
  private closed = false;
  private readonly pendingArrivals = new Map<string, { at: number; count: number }>();
  private flushScheduled = false;

  constructor(private readonly opts: StudyTrackerOptions) {
    this.db = opts.db;
    this.store = opts.store;
    this.quietMs = opts.quietPeriodMs;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.ownManufacturer = opts.ownManufacturer;
    migrate(this.db, 'study', MIGRATIONS);
  }

  /** Subscribes to the store, catches up with instances it missed, re-arms timers. Listeners should be attached first. */
  start(): void {
    this.unsubscribe = this.store.onStored((e) => {
      if (this.isOwnResult(e.seriesInstanceUid)) return;
      if (this.opts.isReviewInput?.(e)) {
        // Counted as seen, so the catch-up after a restart does not take it for a missed arrival.
        this.db.prepare('UPDATE study_activity SET instances_seen = instances_seen + 1 WHERE study_uid = ?').run(e.studyInstanceUid);
        return;
      }
      this.recordArrival(e.studyInstanceUid, e.receivedAt);
    });
    const counts = this.db
      .prepare(
        `SELECT i.study_uid, COUNT(*) AS n, MAX(i.received_at) AS last FROM instances i JOIN series s ON s.series_uid = i.series_uid
         WHERE s.manufacturer != ? GROUP BY i.study_uid`,
      )
      .all(this.ownManufacturer ?? '\u0000') as Array<{ study_uid: string; n: number; last: number }>;
    for (const c of counts) {
      const row = this.row(c.study_uid);
      if (!row || row.instances_seen < c.n) {
        const missed = c.n - (row?.instances_seen ?? 0);
        this.log.info('study tracker caught up with instances stored before a restart', { studyInstanceUid: c.study_uid, instances: missed });
        this.recordArrival(c.study_uid, Math.max(c.last, row?.last_arrival_at ?? 0), missed);
      }
    }
    for (const r of this.db.prepare("SELECT * FROM study_activity WHERE state = 'receiving'").all() as Row[]) this.arm(r.study_uid, r.last_arrival_at);
  }

  /** Per-series answer, cached: this runs for every stored instance. */
  private readonly ownSeries = new Map<string, boolean>();

  private isOwnResult(seriesInstanceUid: string): boolean {
    if (this.ownManufacturer === undefined) return false;
    let own = this.ownSeries.get(seriesInstanceUid);
    if (own === undefined) {
      const row = this.db.prepare('SELECT manufacturer FROM series WHERE series_uid = ?').get(seriesInstanceUid) as { manufacturer: string } | undefined;
      own = row?.manufacturer === this.ownManufacturer;
      if (this.ownSeries.size > 10000) this.ownSeries.clear();
      this.ownSeries.set(seriesInstanceUid, own);
    }
    return own;
  }

  onGeneration(l: (e: GenerationEvent) => void): void {
    this.generationListeners.push(l);
  }

  onReady(l: (e: ReadyEvent) => void): void {
    this.readyListeners.push(l);
  }

  get(studyInstanceUid: string): StudyActivity | undefined {
    this.flushArrivals(studyInstanceUid);
    const r = this.row(studyInstanceUid);
    return r && toActivity(r);
  }

  list(opts: StudyQuery & { limit?: number; offset?: number } = {}): StudyActivity[] {
    this.flushArrivals();
    const { where, args } = studyWhere(opts);
    const rows = this.db.prepare(`SELECT * FROM study_activity ${where} ORDER BY last_arrival_at DESC LIMIT ? OFFSET ?`).all(...args, opts.limit ?? -1, opts.offset ?? 0) as Row[];
    return rows.map(toActivity);
  }

  /** How many studies match, per state. */
  countByState(opts: StudyQuery = {}): Partial<Record<StudyState, number>> {
    this.flushArrivals();
    const { where, args } = studyWhere(opts);
    const rows = this.db.prepare(`SELECT state, COUNT(*) AS n FROM study_activity ${where} GROUP BY state`).all(...args) as Array<{ state: StudyState; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /**
   * Records `count` new instances of a study that arrived at `at`. Arrivals that only move a receiving study's
   * last-arrival time are batched into one transaction per tick (a 700-instance STOW would otherwise commit 700
   * times); a new study or a new generation is committed at once. Lost batches are harmless: start() catches up
   * from the store's index.
   */
  recordArrival(studyUid: string, at: number, count = 1): void {
    if (this.closed) return;
    const r = this.row(studyUid);
    if (r && r.state === 'receiving') {
      const p = this.pendingArrivals.get(studyUid);
      this.pendingArrivals.set(studyUid, { at: Math.max(at, p?.at ?? 0), count: count + (p?.count ?? 0) });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushArrivals());
      }
      if (!this.timers.has(studyUid)) this.arm(studyUid, at);
      return;
    }
    let event: GenerationEvent | undefined;
    this.db.transaction(() => {
      if (!r) {
        this.db
          .prepare(
            `INSERT INTO study_activity (study_uid, generation, state, first_arrival_at, last_arrival_at, instances_generation, instances_seen) VALUES (?, 1, 'receiving', ?, ?, ?, ?)`,
          )
          .run(studyUid, at, at, count, count);
        event = { studyInstanceUid: studyUid, generation: 1 };
      } else {
        this.db
          .prepare(
            `UPDATE study_activity SET generation = generation + 1, state = 'receiving', first_arrival_at = ?, last_arrival_at = ?, instances_generation = ?,
               instances_seen = instances_seen + ?, ready_at = NULL, ready_reason = NULL WHERE study_uid = ?`,
          )
          .run(at, at, count, count, studyUid);
        event = { studyInstanceUid: studyUid, generation: r.generation + 1 };
      }
    })();
    if (event!.generation > 1) this.log.info('instance arrived after the study was ready: re-processing', { studyInstanceUid: studyUid, generation: event!.generation });
    this.emit(this.generationListeners, event!);
    if (!this.timers.has(studyUid)) this.arm(studyUid, at);
  }

  /** Writes batched arrivals (all studies, or one). */
  private flushArrivals(only?: string): void {
    if (!only) this.flushScheduled = false;
    const todo: Array<[string, { at: number; count: number }]> = [];
    for (const [uid, p] of this.pendingArrivals) if (!only || uid === only) todo.push([uid, p]);
    if (!todo.length) return;
    const upd = this.db.prepare(
      'UPDATE study_activity SET last_arrival_at = MAX(last_arrival_at, ?), instances_generation = instances_generation + ?, instances_seen = instances_seen + ? WHERE study_uid = ?',
    );
    this.db.transaction(() => {
      for (const [uid, p] of todo) upd.run(p.at, p.count, p.count, uid);
    })();
    for (const [uid] of todo) this.pendingArrivals.delete(uid);
  }

  /**
   * Marks a receiving study ready now. A study that is already ready stays as it is (no new generation: use the
   * job retry API to run it again). Undefined when the node has never received the study.
   */
  markReady(studyInstanceUid: string, reason: ReadyReason = 'api'): StudyActivity | undefined {
    this.flushArrivals(studyInstanceUid);
    const r = this.row(studyInstanceUid);
    if (!r) return undefined;
    if (r.state === 'ready') return toActivity(r);
    const t = this.now();
    this.db.prepare(`UPDATE study_activity SET state = 'ready', ready_at = ?, ready_reason = ? WHERE study_uid = ? AND state = 'receiving'`).run(t, reason, studyInstanceUid);
    const timer = this.timers.get(studyInstanceUid);
    if (timer) clearTimeout(timer);
    this.timers.delete(studyInstanceUid);
    this.log.info('study ready', { studyInstanceUid, generation: r.generation, reason, instances: r.instances_generation });
    this.emit(this.readyListeners, { studyInstanceUid, generation: r.generation, reason });
    return this.get(studyInstanceUid);
  }

  close(): void {
    this.flushArrivals();
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private row(studyUid: string): Row | undefined {
    return this.db.prepare('SELECT * FROM study_activity WHERE study_uid = ?').get(studyUid) as Row | undefined;
  }

  /** One timer per receiving study; when it fires early (new arrivals moved the deadline) it re-arms itself. */
  private arm(studyUid: string, lastArrival: number): void {
    if (this.closed) return;
    const delay = Math.max(0, lastArrival + this.quietMs - this.now());
    const timer = setTimeout(() => {
      this.timers.delete(studyUid);
      this.flushArrivals(studyUid);
      const r = this.row(studyUid);
      if (!r || r.state !== 'receiving') return;
      if (this.now() >= r.last_arrival_at + this.quietMs) this.markReady(studyUid, 'quiet-period');
      else this.arm(studyUid, r.last_arrival_at);
    }, delay);
    timer.unref();
    this.timers.set(studyUid, timer);
  }

  private emit<E>(listeners: Array<(e: E) => void>, e: E): void {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error('study listener failed', { error: (err as Error).message });
      }
    }
  }
}
