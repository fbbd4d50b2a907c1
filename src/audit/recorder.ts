/**
 * What the node's receivers and web handlers call (one line each): turns their own objects into audit events,
 * folding per-instance happenings into one record per sender, study and burst (bursts.ts).
 *
 *   audit.received(ctx, outcomes)                       STOW-RS request / C-STORE instance
 *   audit.accessed('wado', httpActor(req, res), recs)   WADO-RS retrieval
 *   audit.record(event)                                 anything else (AuditSink)
 */
import type { Request, Response } from 'express';
import type { IngestContext, IngestOutcome } from '../store/types';
import { Bursts } from './bursts';
import type { AccessEvent, AuditActor, AuditEvent, AuditSink, ReceiptEvent } from './events';

/** Who made an HTTP request: the authenticated user (access-control sets res.locals.user) and the peer address. */
export function httpActor(req: Request, res: Response): AuditActor {
  const user = res.locals.user as string | undefined;
  const address = req.socket.remoteAddress;
  return { ...(user ? { user } : {}), ...(address ? { address } : {}) };
}

function ingestActor(ctx: IngestContext): AuditActor {
  return { ...(ctx.user ? { user: ctx.user } : {}), ...(ctx.callingAeTitle ? { aeTitle: ctx.callingAeTitle } : {}), ...(ctx.remoteAddress ? { address: ctx.remoteAddress } : {}) };
}

/** Adds one instance's outcome to a receipt. */
export function tally(r: ReceiptEvent, o: IngestOutcome): void {
  if (o.status === 'stored') r.stored++;
  else if (o.status === 'duplicate') r.duplicates++;
  else r.rejected[o.reason ?? 'invalid'] = (r.rejected[o.reason ?? 'invalid'] ?? 0) + 1;
  if (o.status !== 'rejected' && o.sopClassUid) r.sopClasses[o.sopClassUid] = (r.sopClasses[o.sopClassUid] ?? 0) + 1;
}

function emptyReceipt(ctx: IngestContext, studyInstanceUid: string | undefined): ReceiptEvent {
  return {
    type: 'receipt',
    channel: ctx.source,
    actor: ingestActor(ctx),
    ...(ctx.calledAeTitle ? { calledAeTitle: ctx.calledAeTitle } : {}),
    ...(studyInstanceUid ? { studyInstanceUid } : {}),
    stored: 0,
    duplicates: 0,
    rejected: {},
    sopClasses: {},
  };
}

/** Outcomes of one request grouped by study (objects rejected before their study was known go together). */
export function receiptsOf(ctx: IngestContext, outcomes: readonly IngestOutcome[]): ReceiptEvent[] {
  const by = new Map<string, ReceiptEvent>();
  for (const o of outcomes) {
    const study = o.studyInstanceUid ?? ctx.expectedStudyUid;
    const key = study ?? '';
    if (!by.has(key)) by.set(key, emptyReceipt(ctx, study));
    tally(by.get(key)!, o);
  }
  return [...by.values()];
}

export interface AuditRecorderOptions {
  /** A C-STORE burst ends after this long without an instance (default 5 s). */
  receiptQuietMs?: number;
  /** A viewer's retrieval burst ends after this long without a request (default 10 s). */
  accessQuietMs?: number;
  /** No burst lasts longer (default 5 min). */
  maxBurstMs?: number;
}

export class AuditRecorder implements AuditSink {
  private readonly receipts: Bursts<ReceiptEvent>;
  private readonly accesses: Bursts<AccessEvent & { seen: Set<string> }>;

  constructor(
    private readonly sink: AuditSink,
    opts: AuditRecorderOptions = {},
  ) {
    const maxMs = opts.maxBurstMs ?? 300_000;
    this.receipts = new Bursts({ quietMs: opts.receiptQuietMs ?? 5000, maxMs, emit: (r) => sink.record(r) });
    this.accesses = new Bursts({ quietMs: opts.accessQuietMs ?? 10_000, maxMs, emit: ({ seen: _seen, ...a }) => sink.record(a) });
  }

  record(event: AuditEvent): void {
    this.sink.record(event);
  }

  /** A STOW-RS request (recorded at once) or C-STORE instances (one record per AE, study and burst). */
  received(ctx: IngestContext, outcomes: readonly IngestOutcome[]): void {
    if (ctx.source === 'stow') {
      for (const r of receiptsOf(ctx, outcomes)) this.sink.record(r);
      return;
    }
    for (const o of outcomes) {
      const study = o.studyInstanceUid ?? '';
      this.receipts.add(`${ctx.callingAeTitle}|${ctx.remoteAddress}|${study}`, () => emptyReceipt(ctx, study || undefined), (r) => tally(r, o));
    }
  }

  /** Results looked at: a result page, or instances retrieved over WADO-RS (one record per actor, study and burst). */
  accessed(channel: AccessEvent['channel'], actor: AuditActor, instances: ReadonlyArray<{ studyInstanceUid: string; seriesInstanceUid?: string; sopInstanceUid?: string }>, jobId?: number): void {
    for (const i of instances) {
      const key = `${channel}|${actor.user ?? ''}|${actor.address ?? ''}|${i.studyInstanceUid}|${jobId ?? ''}`;
      this.accesses.add(
        key,
        () => ({ type: 'access', channel, actor, studyInstanceUid: i.studyInstanceUid, ...(jobId !== undefined ? { jobId } : {}), requests: 0, seriesInstanceUids: [], instances: 0, seen: new Set<string>() }),
        (a) => {
          if (i === instances[0]) a.requests++;
          if (i.seriesInstanceUid && !a.seriesInstanceUids.includes(i.seriesInstanceUid)) a.seriesInstanceUids.push(i.seriesInstanceUid);
          if (i.sopInstanceUid && !a.seen.has(i.sopInstanceUid)) {
            a.seen.add(i.sopInstanceUid);
            a.instances++;
          }
        },
      );
    }
  }

  /** Ends open bursts (shutdown). */
  flush(): void {
    this.receipts.flush();
    this.accesses.flush();
  }
}
