/**
 * Job transitions, model runs and deliveries into the audit trail, from the job machine's change events, so the
 * pipeline itself needs no audit code: a job entering `encoding` has finished inferring (its inferring output
 * names each model with version and sha256), and a job that ends after `delivering` has a delivery state per
 * destination in its work folder.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobMachine } from '../jobs/machine';
import type { JobRecord, JobState } from '../jobs/types';
import type { Logger } from '../log/logger';
import type { AuditEvent, AuditSink } from './events';

interface ModelSummary {
  model?: { name?: string; version?: string; sha256?: string; executionProvider?: string };
}

interface DeliveryStateFile {
  destinations: Record<string, { attempts: number; confirmed: string[]; lastError?: string; deadLetter: boolean }>;
}

/** Model-run events from the inferring stage's output (one per model that ran). */
export function modelRuns(job: Pick<JobRecord, 'id' | 'studyInstanceUid'>, output: unknown): AuditEvent[] {
  const models = (output as { models?: Array<{ model: string; summary?: ModelSummary }> } | undefined)?.models ?? [];
  return models.map((m) => ({
    type: 'model-run',
    jobId: job.id,
    studyInstanceUid: job.studyInstanceUid,
    model: m.summary?.model?.name ?? m.model,
    version: m.summary?.model?.version ?? 'unknown',
    sha256: m.summary?.model?.sha256 ?? 'unknown',
    ...(m.summary?.model?.executionProvider ? { executionProvider: m.summary.model.executionProvider } : {}),
  }));
}

/** Delivery events from a delivery state: destinations that confirmed every object, or that gave up. */
export function deliveries(job: Pick<JobRecord, 'id' | 'studyInstanceUid'>, state: DeliveryStateFile): AuditEvent[] {
  return Object.entries(state.destinations).map(([destination, d]) => ({
    type: 'delivery',
    jobId: job.id,
    studyInstanceUid: job.studyInstanceUid,
    destination,
    status: d.deadLetter ? 'failed' : 'delivered',
    confirmed: d.confirmed.length,
    attempts: d.attempts,
    ...(d.deadLetter && d.lastError ? { error: d.lastError.slice(0, 300) } : {}),
  }));
}

/** The state a job left, when this process did not see it enter it: only `ready` has one sure predecessor. */
function previousOf(state: JobState, seen: JobState | undefined): JobState | null {
  return seen ?? (state === 'ready' ? 'received' : null);
}

export function watchJobs(jobs: JobMachine, audit: AuditSink, log: Logger): () => void {
  const last = new Map<number, JobState>();
  const afterDelivery = async (job: JobRecord): Promise<void> => {
    // A delivered job's stage output holds the final state; a dead-lettered one failed its stage, so only the
    // delivery state the stage kept in its work folder has it.
    const out = job.state === 'done' ? ((await jobs.readOutput(job.id, 'delivering'))?.output as DeliveryStateFile | undefined) : undefined;
    const raw = out?.destinations ? undefined : await readFile(join(jobs.jobDir(job.id), 'work', 'delivery-state.json'), 'utf8').catch(() => undefined);
    const state = out?.destinations ? out : raw !== undefined ? (JSON.parse(raw) as DeliveryStateFile) : undefined;
    if (state) for (const e of deliveries(job, state)) audit.record(e);
  };
  const afterInference = async (job: JobRecord): Promise<void> => {
    const out = await jobs.readOutput(job.id, 'inferring');
    for (const e of modelRuns(job, out?.output)) audit.record(e);
  };
  return jobs.onChange((job) => {
    const seen = last.get(job.id);
    if (seen === job.state) return; // attempts or error changed, not the state
    audit.record({ type: 'job-transition', jobId: job.id, studyInstanceUid: job.studyInstanceUid, from: previousOf(job.state, seen), to: job.state });
    if (job.state === 'done' || job.state === 'failed' || job.state === 'superseded') last.delete(job.id);
    else last.set(job.id, job.state);
    const work = job.state === 'encoding' ? afterInference(job) : (job.state === 'done' || (job.state === 'failed' && job.lastError?.stage === 'delivering')) ? afterDelivery(job) : undefined;
    work?.catch((e: unknown) => log.error('cannot read a job output for the audit trail', { jobId: job.id, error: (e as Error).message }));
  });
}
