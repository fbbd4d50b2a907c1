/**
 * The operator dashboard's data: studies being received, jobs with a status per stage, last errors. Served as
 * JSON (GET /ui/dashboard.json, polled by the page) and rendered server-side for the first paint.
 *
 * PHI rule: every field is copied explicitly from a whitelist. Patient name/ID/birth date, accession number,
 * study date and descriptions never reach this structure; Study Instance UIDs and job numbers identify the work.
 */
import type { JobMachine } from '../../jobs/machine';
import { STAGES, type JobRecord, type JobState, type Stage, type StageRun } from '../../jobs/types';
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
  /** Over everything the node holds (not only this page). */
  counts: { receiving: number; ready: number; active: number; done: number; failed: number };
  studies: DashboardStudy[];
  jobs: DashboardJob[];
  filter: DashboardFilter;
  /** The patient page is served (http.pages.patientPage): the dashboard links to it only then. */
  patientPage: boolean;
  /** Paging of both tables: the page shows up to `size` studies and `size` jobs. */
  page: { number: number; size: number; studies: number; jobs: number; pages: number };
}

/** Search and paging of the dashboard (query string of /ui and /ui/dashboard.json). */
export interface DashboardFilter {
  /** A job state: only jobs in it (studies are not filtered by it). */
  state?: JobState;
  /** YYYY-MM-DD (UTC), inclusive: studies first received and jobs created from this day on. */
  from?: string;
  /** YYYY-MM-DD (UTC), inclusive. */
  to?: string;
  /** Exact Accession Number: only its studies and their jobs (operators only: the operate scope). */
  accession?: string;
  /** 1-based. */
  page: number;
}

export const DASHBOARD_PAGE_SIZE = 50;
const JOB_STATES: readonly JobState[] = ['received', 'ready', ...STAGES, 'done', 'failed', 'superseded'];
const DAY_MS = 86_400_000;

function dayStart(d: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().startsWith(d) ? t : undefined;
}

/** Reads the filter from a query string; an error names the bad parameter (the page answers 400 with it). */
export function parseDashboardFilter(q: Record<string, unknown>, mayUseAccession: boolean): { filter: DashboardFilter } | { error: string; status: number } {
  const str = (k: string): string | undefined => (typeof q[k] === 'string' && (q[k]).trim() ? (q[k]).trim() : undefined);
  const filter: DashboardFilter = { page: 1 };
  const state = str('state');
  if (state) {
    if (!JOB_STATES.includes(state as JobState)) return { error: `state must be one of ${JOB_STATES.join(', ')}`, status: 400 };
    filter.state = state as JobState;
  }
  for (const k of ['from', 'to'] as const) {
    const v = str(k);
    if (v === undefined) continue;
    if (dayStart(v) === undefined) return { error: `${k} must be a date as YYYY-MM-DD`, status: 400 };
    filter[k] = v;
  }
  const accession = str('accession');
  if (accession) {
    if (!mayUseAccession) return { error: 'searching by accession number needs the operate scope', status: 403 };
    if (accession.length > 64) return { error: 'accession must be at most 64 characters', status: 400 };
    filter.accession = accession;
  }
  const page = str('page');
  if (page) {
    if (!/^\d{1,6}$/.test(page) || Number(page) < 1) return { error: 'page must be a whole number from 1', status: 400 };
    filter.page = Number(page);
  }
  return { filter };
}

export interface DashboardSources {
  jobs: JobMachine;
  studies: StudyTracker;
  store: InstanceStore;
  node: { name: string; version: string };
  limit?: number;
  /** False when no delivery destination is configured (config deliveryConfigured): done jobs were not delivered. */
  delivers?: boolean;
  /** http.pages.patientPage (default false). */
  patientPage?: boolean;
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

export function dashboardData(src: DashboardSources, now = Date.now(), filter: DashboardFilter = { page: 1 }): DashboardData {
  const size = src.limit ?? DASHBOARD_PAGE_SIZE;
  const offset = (filter.page - 1) * size;
  const from = filter.from !== undefined ? dayStart(filter.from) : undefined;
  const to = filter.to !== undefined ? dayStart(filter.to)! + DAY_MS : undefined;
  const studyUids = filter.accession !== undefined ? src.store.index.studyUidsByAccession(filter.accession) : undefined;
  const jobQuery = { ...(filter.state ? { state: filter.state } : {}), ...(studyUids ? { studyUids } : {}), ...(from !== undefined ? { createdFrom: from } : {}), ...(to !== undefined ? { createdTo: to } : {}) };
  const studyQuery = { ...(studyUids ? { studyUids } : {}), ...(from !== undefined ? { arrivedFrom: from } : {}), ...(to !== undefined ? { arrivedTo: to } : {}) };
  const sum = (c: Partial<Record<string, number>>): number => Object.values(c).reduce<number>((a, b) => a + (b ?? 0), 0);
  const jobTotal = sum(src.jobs.jobs.countByState(jobQuery));
  const studyTotal = sum(src.studies.countByState(studyQuery));
  const jobs = src.jobs.list({ ...jobQuery, limit: size, offset }).map((j) => jobRow(j, src.jobs.jobs.runs(j.id), now, src.delivers ?? true));
  const latestJob = new Map<string, number>();
  for (const j of jobs) if (!latestJob.has(j.studyInstanceUid)) latestJob.set(j.studyInstanceUid, j.id); // newest first
  const studies: DashboardStudy[] = src.studies.list({ ...studyQuery, limit: size, offset }).map((a) => {
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
  const jobCounts = src.jobs.jobs.countByState();
  const studyCounts = src.studies.countByState();
  return {
    node: src.node,
    generatedAt: now,
    counts: {
      receiving: studyCounts.receiving ?? 0,
      ready: studyCounts.ready ?? 0,
      active: sum(jobCounts) - (jobCounts.done ?? 0) - (jobCounts.failed ?? 0) - (jobCounts.superseded ?? 0),
      done: jobCounts.done ?? 0,
      failed: jobCounts.failed ?? 0,
    },
    studies,
    jobs,
    filter,
    patientPage: src.patientPage ?? false,
    page: { number: filter.page, size, studies: studyTotal, jobs: jobTotal, pages: Math.max(1, Math.ceil(Math.max(studyTotal, jobTotal) / size)) },
  };
}
