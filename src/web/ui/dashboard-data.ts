/**
 * The operator dashboard's data: studies being received, jobs with a status per stage, last errors. Served as
 * JSON (GET /ui/dashboard.json, polled by the page) and rendered server-side for the first paint.
 *
 * PHI rule: every field is copied explicitly from a whitelist. Patient name/ID/birth date, accession number,
 * study date and descriptions never reach this structure; Study Instance UIDs and job numbers identify the work.
 */
import type { JobMachine } from '../../jobs/machine';
import { STAGES, TERMINAL_STATES, type JobRecord, type JobState, type Stage, type StageRun } from '../../jobs/types';
import type { InstanceStore } from '../../store/store';
import type { StudyTracker } from '../../study/tracker';

export type StageStatus = 'pending' | 'queued' | 'running' | 'retrying' | 'done' | 'failed' | 'interrupted' | 'skipped';

export interface StageCell {
  stage: Stage;
  status: StageStatus;
  /** One line for the tooltip: duration, attempt, next retry, error. */
  detail: string;
}

export interface DashboardStudy {
  studyInstanceUid: string;
  state: 'receiving' | 'ready';
  generation: number;
  seriesCount: number;
  instanceCount: number;
  firstArrivalAt: number;
  lastArrivalAt: number;
  readyAt?: number;
  readyReason?: string;
  /** Newest job of the study (any generation). */
  latestJobId?: number;
}

export interface DashboardJob {
  id: number;
  studyInstanceUid: string;
  generation: number;
  state: JobState;
  /** What the pages show: the state, or "done (not delivered)" when the node has nowhere to send results. */
  stateLabel: string;
  stages: StageCell[];
  attempts: number;
  maxAttempts: number;
  nextAttemptAt?: number;
  lastError?: { stage: string; message: string; reason?: string; at: number };
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  supersededBy?: number;
  /** POST /api/jobs/{id}/retry accepts this job (failed or done). */
  canRetry: boolean;
  /** The result pages have something to show (inference finished). */
  hasResults: boolean;
}

export interface DashboardData {
  node: { name: string; version: string };
  generatedAt: number;
  counts: { receiving: number; ready: number; active: number; done: number; failed: number };
  studies: DashboardStudy[];
  jobs: DashboardJob[];
}

export interface DashboardSources {
  jobs: JobMachine;
  studies: StudyTracker;
  store: InstanceStore;
  node: { name: string; version: string };
  limit?: number;
  /** False when no delivery destination is configured (config deliveryConfigured): done jobs were not delivered. */
  delivers?: boolean;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Status of each stage of a job, from its state, its stage runs and its last error. Pure. */
export function stageCells(job: JobRecord, runs: StageRun[], now: number): StageCell[] {
  const last = new Map<Stage, StageRun>();
  for (const r of runs) last.set(r.stage, r); // runs come in id order: the last one wins
  const current = STAGES.indexOf(job.state as Stage);
  const failedAt = job.state === 'failed' && job.lastError ? STAGES.indexOf(job.lastError.stage as Stage) : -1;
  return STAGES.map((stage, i) => {
    const run = last.get(stage);
    const took = run?.finishedAt != null ? `took ${seconds(run.finishedAt - run.startedAt)}` : '';
    let status: StageStatus;
    let detail = '';
    if (job.state === 'done') {
      status = 'done';
      detail = took;
    } else if (current >= 0) {
      if (i < current) [status, detail] = ['done', took];
      else if (i > current) status = 'pending';
      else if (run?.status === 'running') [status, detail] = ['running', `attempt ${run.attempt}, running for ${seconds(now - run.startedAt)}`];
      else if (job.nextAttemptAt != null) {
        status = 'retrying';
        detail = `attempt ${job.attempts} of ${job.maxAttempts} failed${job.lastError ? `: ${job.lastError.message}` : ''}; next try in ${seconds(Math.max(0, job.nextAttemptAt - now))}`;
      } else status = 'queued';
    } else if (job.state === 'failed') {
      if (failedAt < 0 || i < failedAt) [status, detail] = run?.status === 'ok' ? ['done', took] : ['pending', ''];
      else if (i === failedAt) [status, detail] = ['failed', job.lastError?.message ?? ''];
      else status = 'pending';
    } else if (job.state === 'superseded') {
      status = run?.status === 'ok' ? 'done' : run ? 'interrupted' : 'skipped';
      detail = status === 'done' ? took : `superseded by job ${job.supersededBy ?? '?'}`;
    } else {
      status = 'pending'; // received / ready: waiting for the study or a free slot
    }
    return { stage, status, detail };
  });
}

function jobRow(job: JobRecord, runs: StageRun[], now: number, delivers: boolean): DashboardJob {
  return {
    id: job.id,
    studyInstanceUid: job.studyInstanceUid,
    generation: job.generation,
    state: job.state,
    stateLabel: job.state === 'done' && !delivers ? 'done (not delivered)' : job.state,
    stages: stageCells(job, runs, now),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    ...(job.nextAttemptAt != null ? { nextAttemptAt: job.nextAttemptAt } : {}),
    // A job that later succeeded (e.g. after a Retry) keeps its last error in the record; it is history, not status.
    ...(job.lastError && job.state !== 'done'
      ? { lastError: { stage: job.lastError.stage, message: job.lastError.message, at: job.lastError.at, ...(job.lastError.reason ? { reason: job.lastError.reason } : {}) } }
      : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.finishedAt != null ? { finishedAt: job.finishedAt } : {}),
    ...(job.supersededBy != null ? { supersededBy: job.supersededBy } : {}),
    canRetry: job.state === 'failed' || job.state === 'done',
    hasResults: runs.some((r) => r.stage === 'inferring' && r.status === 'ok'),
  };
}

export function dashboardData(src: DashboardSources, now = Date.now()): DashboardData {
  const limit = src.limit ?? 200;
  const jobs = src.jobs.list({ limit }).map((j) => jobRow(j, src.jobs.jobs.runs(j.id), now, src.delivers ?? true));
  const latestJob = new Map<string, number>();
  for (const j of jobs) if (!latestJob.has(j.studyInstanceUid)) latestJob.set(j.studyInstanceUid, j.id); // newest first
  const studies: DashboardStudy[] = src.studies.list({ limit }).map((a) => {
    const counts = src.store.getStudy(a.studyInstanceUid); // read for the counts only
    const latest = latestJob.get(a.studyInstanceUid);
    return {
      studyInstanceUid: a.studyInstanceUid,
      state: a.state,
      generation: a.generation,
      seriesCount: counts?.seriesCount ?? 0,
      instanceCount: counts?.instanceCount ?? 0,
      firstArrivalAt: a.firstArrivalAt,
      lastArrivalAt: a.lastArrivalAt,
      ...(a.readyAt != null ? { readyAt: a.readyAt } : {}),
      ...(a.readyReason ? { readyReason: a.readyReason } : {}),
      ...(latest != null ? { latestJobId: latest } : {}),
    };
  });
  return {
    node: src.node,
    generatedAt: now,
    counts: {
      receiving: studies.filter((s) => s.state === 'receiving').length,
      ready: studies.filter((s) => s.state === 'ready').length,
      active: jobs.filter((j) => !TERMINAL_STATES.has(j.state)).length,
      done: jobs.filter((j) => j.state === 'done').length,
      failed: jobs.filter((j) => j.state === 'failed').length,
    },
    studies,
    jobs,
  };
}
