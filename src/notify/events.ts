/**
 * Notification events: what happened, in words an operator can act on, with UIDs and job ids only (no patient data,
 * since webhooks and e-mail leave the node). Pure functions from job records and disk readings to events.
 */
import type { NotificationEventKind } from '../config/sections/notifications';
import type { JobRecord } from '../jobs/types';

export interface NotificationEvent {
  kind: NotificationEventKind;
  /** Stable per occurrence: the outbox sends each key once, and receivers can de-duplicate retries on it. */
  key: string;
  /** ISO 8601 */
  at: string;
  /** node.name */
  node: string;
  summary: string;
  jobId?: number;
  studyInstanceUid?: string;
  stage?: string;
  reason?: string;
  message?: string;
  /** The job's page on the node, when the node knows its own URL. */
  url?: string;
  disk?: { freeMb: number; warnMb: number; minFreeMb: number };
}

/** Job failure reasons that mean the study never had what a model needs, rather than a processing fault. */
const INCOMPLETE_REASONS = new Set(['no-model-applies', 'missing-modalities', 'missing-sources']);

/** The event a job's change raises, or undefined when it raises none (only a transition into 'failed' does). */
export function jobEvent(job: JobRecord, node: string, pageBase?: string): NotificationEvent | undefined {
  if (job.state !== 'failed') return undefined;
  const reason = job.lastError?.reason;
  const kind: NotificationEventKind = reason === 'dead-letter' ? 'delivery-dead-letter' : reason && INCOMPLETE_REASONS.has(reason) ? 'study-incomplete' : 'job-failed';
  const what =
    kind === 'delivery-dead-letter'
      ? 'results could not be delivered'
      : kind === 'study-incomplete'
        ? 'the study lacks the series its models need'
        : `failed at ${job.lastError?.stage ?? 'an unknown stage'}`;
  return {
    kind,
    key: `${kind}:job:${job.id}:${job.finishedAt ?? job.updatedAt}`,
    at: new Date(job.finishedAt ?? job.updatedAt).toISOString(),
    node,
    summary: `job ${job.id}: ${what}`,
    jobId: job.id,
    studyInstanceUid: job.studyInstanceUid,
    ...(job.lastError ? { stage: job.lastError.stage, message: job.lastError.message } : {}),
    ...(reason ? { reason } : {}),
    ...(pageBase ? { url: `${pageBase}/ui/jobs/${job.id}` } : {}),
  };
}

export function diskEvent(node: string, freeMb: number, warnMb: number, minFreeMb: number, now: number): NotificationEvent {
  return {
    kind: 'disk-low',
    key: `disk-low:${now}`,
    at: new Date(now).toISOString(),
    node,
    summary: `data disk low: ${freeMb} MB free, warning level ${warnMb} MB (new instances are refused below ${minFreeMb} MB)`,
    disk: { freeMb, warnMb, minFreeMb },
  };
}

/** Plain-text body for e-mail: the summary, then each field on its own line. */
export function eventText(e: NotificationEvent): string {
  const lines = [e.summary, '', `event: ${e.kind}`, `node: ${e.node}`, `at: ${e.at}`];
  if (e.jobId !== undefined) lines.push(`job: ${e.jobId}`);
  if (e.studyInstanceUid) lines.push(`study instance UID: ${e.studyInstanceUid}`);
  if (e.stage) lines.push(`stage: ${e.stage}`);
  if (e.reason) lines.push(`reason: ${e.reason}`);
  if (e.message) lines.push(`message: ${e.message}`);
  if (e.url) lines.push(`page: ${e.url}`);
  lines.push('', 'neuro-onc-node (research use only)');
  return lines.join('\n') + '\n';
}
