/**
 * Persistence of jobs, their stage runs and their state history (SQLite, same database as the store).
 * Every state change is one transaction; nothing about a job lives only in memory.
 */
import { migrate, whereOf, type Db } from '../store/database';
import type { JobError, JobEvent, JobRecord, JobState, Stage, StageRun } from './types';

const MIGRATIONS = [
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     study_uid TEXT NOT NULL,
     generation INTEGER NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL,
     next_attempt_at INTEGER,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     ready_at INTEGER,
     finished_at INTEGER,
     last_error TEXT,
     superseded_by INTEGER,
     UNIQUE (study_uid, generation)
   );
   CREATE INDEX jobs_state ON jobs(state);
   CREATE TABLE job_stage_runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     job_id INTEGER NOT NULL REFERENCES jobs(id),
     stage TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     finished_at INTEGER,
     status TEXT NOT NULL,
     error TEXT
   );
   CREATE INDEX job_stage_runs_job ON job_stage_runs(job_id);
   CREATE TABLE job_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     job_id INTEGER NOT NULL REFERENCES jobs(id),
     at INTEGER NOT NULL,
     from_state TEXT,
     to_state TEXT NOT NULL,
     note TEXT
   );
   CREATE INDEX job_events_job ON job_events(job_id);`,
  // Routing (src/routing): the queue order among ready jobs (0 = urgent … 3 = low) and the rule that admitted the job.
  `ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 2;
   ALTER TABLE jobs ADD COLUMN routing_rule TEXT;`,
];

interface JobRow {
  id: number;
  study_uid: string;
  generation: number;
  state: JobState;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
  ready_at: number | null;
  finished_at: number | null;
  last_error: string | null;
  superseded_by: number | null;
  priority: number;
  routing_rule: string | null;
}

function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    studyInstanceUid: r.study_uid,
    generation: r.generation,
    state: r.state,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextAttemptAt: r.next_attempt_at ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    readyAt: r.ready_at ?? undefined,
    finishedAt: r.finished_at ?? undefined,
    lastError: r.last_error ? (JSON.parse(r.last_error) as JobError) : undefined,
    supersededBy: r.superseded_by ?? undefined,
    priority: r.priority,
    routingRule: r.routing_rule ?? undefined,
  };
}

export interface JobUpdate {
  state?: JobState;
  attempts?: number;
  nextAttemptAt?: number | null;
  readyAt?: number;
  finishedAt?: number | null;
  lastError?: JobError | null;
  supersededBy?: number;
  priority?: number;
  routingRule?: string | null;
}

/** Filters for listing jobs: state, one study or a set of studies, creation time range (ms since the epoch). */
export interface JobQuery {
  state?: JobState;
  studyUid?: string;
  studyUids?: readonly string[];
  createdFrom?: number;
  createdTo?: number;
}

function jobWhere(q: JobQuery): { where: string; args: unknown[] } {
  return whereOf([
    q.state && ['state = ?', q.state],
    q.studyUid && ['study_uid = ?', q.studyUid],
    q.studyUids && [`study_uid IN (${q.studyUids.map(() => '?').join(',') || 'NULL'})`, ...q.studyUids],
    q.createdFrom !== undefined && ['created_at >= ?', q.createdFrom],
    q.createdTo !== undefined && ['created_at < ?', q.createdTo],
  ]);
}

export class JobStore {
  constructor(private readonly db: Db) {
    migrate(db, 'jobs', MIGRATIONS);
  }

  get(id: number): JobRecord | undefined {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return r && toJob(r);
  }

  forStudy(studyUid: string, generation?: number): JobRecord[] {
    const rows = (generation === undefined
      ? this.db.prepare('SELECT * FROM jobs WHERE study_uid = ? ORDER BY generation').all(studyUid)
      : this.db.prepare('SELECT * FROM jobs WHERE study_uid = ? AND generation = ?').all(studyUid, generation)) as JobRow[];
    return rows.map(toJob);
  }

  list(opts: JobQuery & { limit?: number; offset?: number } = {}): JobRecord[] {
    const { where, args } = jobWhere(opts);
    args.push(opts.limit ?? -1, opts.offset ?? 0);
    const rows = this.db.prepare(`SELECT * FROM jobs ${where} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args) as JobRow[];
    return rows.map(toJob);
  }

  /** How many jobs match, per state. */
  countByState(opts: JobQuery = {}): Partial<Record<JobState, number>> {
    const { where, args } = jobWhere(opts);
    const rows = this.db.prepare(`SELECT state, COUNT(*) AS n FROM jobs ${where} GROUP BY state`).all(...args) as Array<{ state: JobState; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Jobs the runner may pick up now: ready, or mid-pipeline with no pending back-off. */
  runnable(now: number, exclude: ReadonlySet<number>, stages: readonly Stage[]): JobRecord[] {
    const states = ['ready', ...stages];
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(',')}) AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY priority, COALESCE(ready_at, created_at), id`)
      .all(...states, now) as JobRow[];
    return rows.map(toJob).filter((j) => !exclude.has(j.id));
  }

  /** Earliest pending back-off among runnable states (to arm a wake-up timer). */
  nextWakeUp(stages: readonly Stage[]): number | undefined {
    const r = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS t FROM jobs WHERE next_attempt_at IS NOT NULL AND state IN (${stages.map(() => '?').join(',')})`)
      .get(...stages) as { t: number | null };
    return r.t ?? undefined;
  }

  create(studyUid: string, generation: number, maxAttempts: number, now: number): JobRecord {
    this.db.transaction(() => {
      const info = this.db
        .prepare(`INSERT INTO jobs (study_uid, generation, state, max_attempts, created_at, updated_at) VALUES (?, ?, 'received', ?, ?, ?) ON CONFLICT(study_uid, generation) DO NOTHING`)
        .run(studyUid, generation, maxAttempts, now, now);
      if (info.changes) this.event(Number(info.lastInsertRowid), now, null, 'received');
    })();
    return this.forStudy(studyUid, generation)[0]!;
  }

  /** Applies a change and records the state transition (if any) in the history, atomically. */
  update(id: number, change: JobUpdate, now: number, note?: string): JobRecord {
    this.db.transaction(() => {
      const before = this.get(id);
      if (!before) throw new Error(`no job ${id}`);
      const sets: string[] = ['updated_at = ?'];
      const args: unknown[] = [now];
      const put = (col: string, v: unknown): void => {
        sets.push(`${col} = ?`);
        args.push(v);
      };
      if (change.state !== undefined) put('state', change.state);
      if (change.attempts !== undefined) put('attempts', change.attempts);
      if (change.nextAttemptAt !== undefined) put('next_attempt_at', change.nextAttemptAt);
      if (change.readyAt !== undefined) put('ready_at', change.readyAt);
      if (change.finishedAt !== undefined) put('finished_at', change.finishedAt);
      if (change.lastError !== undefined) put('last_error', change.lastError ? JSON.stringify(change.lastError) : null);
      if (change.supersededBy !== undefined) put('superseded_by', change.supersededBy);
      if (change.priority !== undefined) put('priority', change.priority);
      if (change.routingRule !== undefined) put('routing_rule', change.routingRule);
      args.push(id);
      this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...args);
      if ((change.state !== undefined && change.state !== before.state) || note) this.event(id, now, before.state, change.state ?? before.state, note);
    })();
    return this.get(id)!;
  }

  private event(jobId: number, at: number, from: JobState | null, to: JobState, note?: string): void {
    this.db.prepare('INSERT INTO job_events (job_id, at, from_state, to_state, note) VALUES (?, ?, ?, ?, ?)').run(jobId, at, from, to, note ?? null);
  }

  events(jobId: number): JobEvent[] {
    return (this.db.prepare('SELECT at, from_state, to_state, note FROM job_events WHERE job_id = ? ORDER BY id').all(jobId) as Array<{ at: number; from_state: JobState | null; to_state: JobState; note: string | null }>).map(
      (r) => ({ at: r.at, from: r.from_state, to: r.to_state, note: r.note ?? undefined }),
    );
  }

  startRun(jobId: number, stage: Stage, attempt: number, now: number): number {
    return Number(this.db.prepare(`INSERT INTO job_stage_runs (job_id, stage, attempt, started_at, status) VALUES (?, ?, ?, ?, 'running')`).run(jobId, stage, attempt, now).lastInsertRowid);
  }

  finishRun(runId: number, status: StageRun['status'], now: number, error?: string): void {
    this.db.prepare('UPDATE job_stage_runs SET status = ?, finished_at = ?, error = ? WHERE id = ?').run(status, now, error ?? null, runId);
  }

  /** Runs left 'running' by a process that died: marked interrupted; returns them. */
  interruptedRuns(now: number): StageRun[] {
    const rows = this.db.prepare(`SELECT * FROM job_stage_runs WHERE status = 'running'`).all() as RunRow[];
    this.db.prepare(`UPDATE job_stage_runs SET status = 'interrupted', finished_at = ?, error = 'the node stopped while this stage was running' WHERE status = 'running'`).run(now);
    return rows.map(toRun);
  }

  runs(jobId: number): StageRun[] {
    return (this.db.prepare('SELECT * FROM job_stage_runs WHERE job_id = ? ORDER BY id').all(jobId) as RunRow[]).map(toRun);
  }
}

interface RunRow {
  id: number;
  job_id: number;
  stage: Stage;
  attempt: number;
  started_at: number;
  finished_at: number | null;
  status: StageRun['status'];
  error: string | null;
}

function toRun(r: RunRow): StageRun {
  return {
    id: r.id,
    jobId: r.job_id,
    stage: r.stage,
    attempt: r.attempt,
    startedAt: r.started_at,
    finishedAt: r.finished_at ?? undefined,
    status: r.status,
    error: r.error ?? undefined,
  };
}
