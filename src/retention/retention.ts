/**
 * Retention: the node is a processing node, not an archive. Once a study's results are delivered (its latest job
 * done) and nothing new arrived for node.retention.days, the received instances and the jobs' work folders
 * (model-grid volumes, findings, result files: all delivered to the PACS) are deleted. What stays: job records,
 * their state history and stage outputs (small JSON: the audit trail), and the study's activity row, so an
 * instance sent later starts a new generation as usual.
 *
 * Never deleted automatically: studies still receiving, with a job queued or running, or whose latest job failed
 * (an operator retries or deletes those: DELETE /api/studies/{uid}).
 *
 *   const r = new Retention({ store, studies, jobs, days: 14, sweepIntervalMinutes: 60, logger });
 *   r.start();                       // sweeps every interval (first one a minute after start)
 *   await r.sweep();                 // or on demand
 *   await r.deleteStudy(uid, 'operator');
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { JobMachine } from '../jobs/machine';
import { TERMINAL_STATES, type JobRecord } from '../jobs/types';
import type { Logger } from '../log/logger';
import type { AuditActor, AuditSink } from '../audit/events';
import type { InstanceStore } from '../store/store';
import type { StudyTracker } from '../study/tracker';

export interface RetentionOptions {
  store: InstanceStore;
  studies: StudyTracker;
  jobs: JobMachine;
  /** 0 = keep forever (sweeps do nothing; deleteStudy still works). */
  days: number;
  sweepIntervalMinutes: number;
  logger: Logger;
  now?: () => number;
  /** Every deletion goes into the audit trail. */
  audit?: AuditSink;
}

export interface DeletedStudy {
  studyInstanceUid: string;
  reason: 'retention' | 'operator';
  instances: number;
  bytes: number;
  /** Jobs whose work folder was removed. */
  jobs: number[];
}

/** Why a study cannot be deleted now (HTTP 409 / 404). */
export class StudyDeletionRefused extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super(message);
    this.name = 'StudyDeletionRefused';
  }
}

const DAY_MS = 24 * 3600 * 1000;

/** How a deletion starts its line in each job's history (the result pages look for it). */
export const DELETED_NOTE_PREFIX = 'study deleted from the node';

/** The study's latest job (highest generation, then newest), or undefined. */
function latestJob(jobs: JobRecord[]): JobRecord | undefined {
  return [...jobs].sort((a, b) => b.generation - a.generation || b.id - a.id)[0];
}

/**
 * Pure decision: may retention delete this study at `now`? Only when its latest job is done, every job has
 * ended, the study is not receiving, and both the last arrival and the job's end are older than `days`.
 */
export function dueForDeletion(study: { state: string; lastArrivalAt: number } | undefined, jobs: JobRecord[], now: number, days: number): boolean {
  if (days <= 0 || !study || study.state !== 'ready') return false;
  const latest = latestJob(jobs);
  if (!latest || latest.state !== 'done' || jobs.some((j) => !TERMINAL_STATES.has(j.state))) return false;
  const cutoff = now - days * DAY_MS;
  return study.lastArrivalAt < cutoff && (latest.finishedAt ?? latest.updatedAt) < cutoff;
}

export class Retention {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<DeletedStudy[]>;
  private readonly now: () => number;

  constructor(private readonly opts: RetentionOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.opts.days <= 0) {
      this.opts.logger.info('retention off (node.retention.days = 0): studies are kept until an operator deletes them');
      return;
    }
    const every = this.opts.sweepIntervalMinutes * 60_000;
    const tick = (delay: number): void => {
      this.timer = setTimeout(() => {
        void this.sweep()
          .catch((e: unknown) => this.opts.logger.error('retention sweep failed', { error: (e as Error).message }))
          .finally(() => tick(every));
      }, delay);
      this.timer.unref();
    };
    tick(Math.min(60_000, every));
  }

  /** Stops sweeping; resolves once a sweep in progress has finished. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping?.catch(() => undefined);
  }

  /** Deletes every study past retention; one sweep at a time. */
  sweep(): Promise<DeletedStudy[]> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<DeletedStudy[]> {
    const now = this.now();
    const out: DeletedStudy[] = [];
    for (const s of this.opts.studies.list({ state: 'ready', limit: 100_000 })) {
      if (this.opts.store.index.instanceCount(s.studyInstanceUid) === 0) continue; // already deleted
      if (!dueForDeletion(s, this.opts.jobs.list({ studyUid: s.studyInstanceUid, limit: 1000 }), now, this.opts.days)) continue;
      out.push(await this.remove(s.studyInstanceUid, 'retention'));
    }
    if (out.length) {
      this.opts.logger.info('retention sweep', { deleted: out.length, bytes: out.reduce((a, d) => a + d.bytes, 0), days: this.opts.days });
    }
    return out;
  }

  /** Deletes one study now (operator). Refused while it is receiving or has a job that has not ended. */
  async deleteStudy(studyInstanceUid: string, reason: DeletedStudy['reason'] = 'operator', actor?: AuditActor): Promise<DeletedStudy> {
    const study = this.opts.studies.get(studyInstanceUid);
    if (!this.opts.store.getStudy(studyInstanceUid)) throw new StudyDeletionRefused(`the node holds no instances of study ${studyInstanceUid}${study ? ' (already deleted)' : ''}`, 404);
    if (study?.state === 'receiving') {
      throw new StudyDeletionRefused(`study ${studyInstanceUid} is still receiving instances; mark it complete or wait for the quiet period, then delete it`, 409);
    }
    const active = this.opts.jobs.list({ studyUid: studyInstanceUid, limit: 1000 }).filter((j) => !TERMINAL_STATES.has(j.state));
    if (active.length) {
      throw new StudyDeletionRefused(`study ${studyInstanceUid} has job(s) ${active.map((j) => `${j.id} (${j.state})`).join(', ')} not finished; wait for them or let them fail first`, 409);
    }
    return this.remove(studyInstanceUid, reason, actor);
  }

  private async remove(studyInstanceUid: string, reason: DeletedStudy['reason'], actor?: AuditActor): Promise<DeletedStudy> {
    const removed = await this.opts.store.purgeStudy(studyInstanceUid);
    const jobs: number[] = [];
    for (const j of this.opts.jobs.list({ studyUid: studyInstanceUid, limit: 1000 })) {
      await fsp.rm(join(this.opts.jobs.jobDir(j.id), 'work'), { recursive: true, force: true });
      this.opts.jobs.note(j.id, `${DELETED_NOTE_PREFIX} (${reason === 'retention' ? `node.retention.days = ${this.opts.days}` : 'by an operator'}): ${removed.instances} instance(s) and the work folder removed; results were delivered to the destinations`);
      jobs.push(j.id);
    }
    const d: DeletedStudy = { studyInstanceUid, reason, ...removed, jobs };
    this.opts.audit?.record({ type: 'deletion', reason, studyInstanceUid, instances: removed.instances, ...(actor ? { actor } : {}) });
    this.opts.logger.info('study deleted', { ...d });
    return d;
  }
}
