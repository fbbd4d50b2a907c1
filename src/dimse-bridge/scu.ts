/**
 * DIMSE SCU: C-ECHO, C-STORE, C-FIND (series level) and C-MOVE (series) towards a configured peer (a PACS).
 *
 * Built on dcmjs-dimse's protocol machine, driven directly rather than through its Client class, so that we
 * choose the socket options (TCP_NODELAY: without it each request waits ~40 ms for a delayed ACK), propose exactly
 * the presentation contexts we want (negotiation.ts), and send each object's data set bytes unchanged.
 *
 * Failures are DimseScuError with a `kind` (connection-refused, association-rejected, timeout, aborted, network)
 * and a message that names the peer and the reason; C-STORE reports per object (stored only on a success or
 * documented warning status from the peer).
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { Dataset, Scp, association as assocNs, constants, requests as req, type responses } from 'dcmjs-dimse';
import { createLogger } from '../log/logger';
import { SopClass, TransferSyntax } from '../dicom/constants';
import { DicomParseError } from '../dicom/p10';
import { describeContextResult, describeRejection, describeStatus, isStoredStatus } from './conformance';
import { planSend, proposeContexts, type AcceptedContext, type ProposalContext } from './negotiation';
import { splitP10 } from './p10-split';
import { quietDimseLibrary } from './library-log';

const log = createLogger('dimse-scu');
const { PresentationContextResult, SopClass: DimseSopClass } = constants;

/** Where to connect and as whom. */
export interface DimsePeer {
  /** Destination name, for messages. */
  name: string;
  host: string;
  port: number;
  /** The peer's (called) AE title. */
  aeTitle: string;
  /** Our (calling) AE title. */
  callingAeTitle: string;
  /** DICOM TLS: CA, client certificate/key (PEM buffers) and the name to verify; the peer's certificate is always verified. */
  tls?: Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername'>;
}

export interface ScuTimeouts {
  /** TCP connect + association negotiation. Default 10 s. */
  connectMs?: number;
  /** Longest wait for any PDU once associated (a response, a release). Default 60 s. */
  responseMs?: number;
}

export type ScuFailureKind = 'connection-refused' | 'association-rejected' | 'timeout' | 'aborted' | 'network' | 'no-presentation-context';

export class DimseScuError extends Error {
  constructor(
    readonly kind: ScuFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'DimseScuError';
  }

  /** Whether trying again later can help (network trouble, busy peer) or not (configuration: AE titles, SOP classes). */
  get retryable(): boolean {
    if (this.kind === 'association-rejected') return /rejected-transient/.test(this.message);
    return this.kind !== 'no-presentation-context';
  }
}

/** A data set that sends its original encoded bytes (the part of a Part 10 file after group 0002). */
class EncodedDataset extends Dataset {
  constructor(
    elements: Record<string, unknown>,
    transferSyntaxUid: string,
    private readonly encoded: Buffer,
  ) {
    super(elements, transferSyntaxUid);
  }

  override getDenaturalizedDataset(): Buffer {
    return this.encoded;
  }
}

/**
 * dcmjs-dimse exports its DICOM upper-layer state machine (Network) only through Scp; an SCU association uses the
 * same machine. The SCP handlers it wires are inert here unless the peer sends us requests, which it may not.
 */
class ScuLink extends Scp {
  abortedBy: { source: number; reason: number } | undefined;
  override abort(source: number, reason: number): void {
    this.abortedBy = { source, reason };
  }
}

function peerLabel(p: DimsePeer): string {
  return `${p.name} (${p.aeTitle}@${p.host}:${p.port}${p.tls ? ', TLS' : ''})`;
}

interface AssociationRun {
  /** Called once the peer accepted; returns the requests to send (may be empty). */
  onAccepted(accepted: AcceptedContext[]): req.Request[];
}

/**
 * Opens one association, sends the requests `run` returns, releases, and resolves when the connection closed
 * cleanly. Rejects with DimseScuError on refusal, rejection, timeout or abort. Responses are delivered to the
 * requests' own 'response' listeners.
 */
function runAssociation(peer: DimsePeer, contexts: ProposalContext[], run: AssociationRun, t: ScuTimeouts = {}): Promise<void> {
  quietDimseLibrary();
  const connectMs = t.connectMs ?? 10_000;
  const responseMs = t.responseMs ?? 60_000;
  const label = peerLabel(peer);
  return new Promise<void>((resolve, reject) => {
    const assoc = new assocNs.Association(peer.callingAeTitle, peer.aeTitle);
    for (const c of contexts) {
      const id = assoc.addPresentationContext(c.abstractSyntaxUid);
      for (const ts of c.transferSyntaxUids) assoc.addTransferSyntaxToPresentationContext(id, ts);
    }
    const socket: Socket = peer.tls
      ? tlsConnect({ host: peer.host, port: peer.port, rejectUnauthorized: true, minVersion: 'TLSv1.2', ...peer.tls, ...(peer.tls.servername || isIP(peer.host) ? {} : { servername: peer.host }) })
      : connect({ host: peer.host, port: peer.port, noDelay: true });
    socket.setNoDelay(true);
    const link = new ScuLink(socket, { connectTimeout: responseMs, associationTimeout: connectMs, pduTimeout: responseMs });
    let failure: DimseScuError | undefined;
    let associated = false;
    let released = false;
    const fail = (e: DimseScuError): void => {
      failure ??= e;
      socket.destroy();
    };
    const connectTimer = setTimeout(() => {
      if (!associated) fail(new DimseScuError('timeout', `no association with ${label} within ${connectMs} ms (connect/negotiation timeout)`));
    }, connectMs);

    link.on('connect', () => link.sendAssociationRequest(assoc));
    link.on('associationRejected', (r: { result: number; source: number; reason: number }) => {
      fail(new DimseScuError('association-rejected', `association rejected by ${label}: ${describeRejection(r)}`));
    });
    link.on('associationAccepted', (accepted: assocNs.Association) => {
      associated = true;
      clearTimeout(connectTimer);
      const acceptedContexts: AcceptedContext[] = accepted
        .getPresentationContexts()
        .filter(({ context }) => context.getResult() === PresentationContextResult.Accept)
        .map(({ context }) => ({ abstractSyntaxUid: context.getAbstractSyntaxUid(), transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '' }));
      let toSend: req.Request[];
      try {
        toSend = run.onAccepted(acceptedContexts);
      } catch (e) {
        fail(e instanceof DimseScuError ? e : new DimseScuError('network', (e as Error).message));
        return;
      }
      if (toSend.length === 0) link.sendAssociationReleaseRequest();
      else link.sendRequests(toSend);
    });
    link.on('done', () => link.sendAssociationReleaseRequest());
    link.on('associationReleaseResponse', () => {
      released = true;
      socket.end();
    });
    link.on('networkError', (e: Error) => {
      const m = e.message;
      if (/ECONNREFUSED/.test(m)) fail(new DimseScuError('connection-refused', `connection refused by ${peer.host}:${peer.port} (${peer.name}): nothing listens there`));
      else if (/timeout/i.test(m)) fail(new DimseScuError('timeout', `${label} stopped answering (${m.replace(/^.*-> /, '')})`));
      else fail(new DimseScuError('network', `network error with ${label}: ${m.replace(/^.*-> /, '')}`));
    });
    socket.on('error', () => undefined); // reported through networkError
    link.on('close', () => {
      clearTimeout(connectTimer);
      if (failure) return reject(failure);
      if (link.abortedBy) return reject(new DimseScuError('aborted', `${label} aborted the association (source ${link.abortedBy.source}, reason ${link.abortedBy.reason})`));
      if (!associated) return reject(new DimseScuError('network', `${label} closed the connection before answering the association request`));
      if (!released) log.warn(`${label} closed the connection without a release response`);
      resolve();
    });
  });
}

// ------------------------------------------------------------------ C-ECHO

export interface EchoResult {
  /** C-ECHO-RQ to C-ECHO-RSP, ms. */
  echoMs: number;
  /** Connect + associate + echo + release, ms. */
  totalMs: number;
}

/** Verification (C-ECHO). Resolves with timings; rejects with DimseScuError naming the reason. */
export async function echo(peer: DimsePeer, t: ScuTimeouts = {}): Promise<EchoResult> {
  const t0 = performance.now();
  let sentAt = 0;
  let echoMs: number | undefined;
  let status: number | undefined;
  await runAssociation(
    peer,
    [{ abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] }],
    {
      onAccepted(accepted) {
        if (!accepted.some((a) => a.abstractSyntaxUid === SopClass.Verification)) {
          throw new DimseScuError('no-presentation-context', `${peerLabel(peer)} accepted the association but not the Verification SOP class`);
        }
        const r = new req.CEchoRequest();
        r.on('response', (rsp: responses.CEchoResponse) => {
          echoMs = performance.now() - sentAt;
          status = rsp.getStatus();
        });
        sentAt = performance.now();
        return [r];
      },
    },
    t,
  );
  if (status === undefined || echoMs === undefined) throw new DimseScuError('network', `${peerLabel(peer)} released without answering the C-ECHO`);
  if (status !== 0) throw new DimseScuError('network', `${peerLabel(peer)} answered C-ECHO with ${describeStatus(status)}`);
  return { echoMs, totalMs: performance.now() - t0 };
}

// ------------------------------------------------------------------ C-STORE

/** One object to send: a Part 10 file on disk or in memory. */
export type StoreInput = { path: string } | { bytes: Buffer };

export interface StoreResult {
  /** From the File Meta Information ('' when the input could not be read). */
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  /** True only when the peer answered with success or a warning status (conformance.ts isStoredStatus). */
  stored: boolean;
  status?: number;
  /** Status text, or why the object was not sent. */
  message: string;
  /** Where the input came from (path, or "buffer #i"). */
  source: string;
}

interface Prepared {
  index: number;
  source: string;
  parts?: ReturnType<typeof splitP10>;
  encoded?: Buffer;
  error?: string;
}

async function prepare(inputs: StoreInput[]): Promise<Prepared[]> {
  return Promise.all(
    inputs.map(async (inp, index) => {
      const source = 'path' in inp ? inp.path : `buffer #${index}`;
      try {
        const buf = 'path' in inp ? await readFile(inp.path) : inp.bytes;
        const parts = splitP10(buf);
        return { index, source, parts, encoded: buf.subarray(parts.datasetOffset) };
      } catch (e) {
        const why = e instanceof DicomParseError ? e.message : `cannot read: ${(e as Error).message}`;
        return { index, source, error: why };
      }
    }),
  );
}

/**
 * Sends objects with C-STORE in one association and reports per object. An association-level failure (refused,
 * rejected, timeout) rejects with DimseScuError; objects the peer cannot take (SOP class or transfer syntax not
 * accepted) come back as stored:false with the reason, and the others are still sent.
 */
export async function cstore(peer: DimsePeer, inputs: StoreInput[], t: ScuTimeouts = {}): Promise<StoreResult[]> {
  const prepared = await prepare(inputs);
  const results: StoreResult[] = prepared.map((p) => ({
    sopInstanceUid: p.parts?.sopInstanceUid ?? '',
    sopClassUid: p.parts?.sopClassUid ?? '',
    transferSyntaxUid: p.parts?.transferSyntaxUid ?? '',
    stored: false,
    message: p.error ?? 'not answered: the association ended before the peer responded',
    source: p.source,
  }));
  const sendable = prepared.filter((p) => p.parts);
  if (sendable.length === 0) return results;
  const contexts = proposeContexts(sendable.map((p) => ({ sopClassUid: p.parts!.sopClassUid, transferSyntaxUid: p.parts!.transferSyntaxUid })));
  let answered = 0;
  const association = runAssociation(
    peer,
    contexts,
    {
      onAccepted(accepted) {
        const out: req.Request[] = [];
        for (const p of sendable) {
          const parts = p.parts!;
          const result = results[p.index]!;
          const plan = planSend({ sopClassUid: parts.sopClassUid, transferSyntaxUid: parts.transferSyntaxUid }, accepted);
          if (!plan.ok) {
            result.message = `not sent: ${plan.reason}`;
            continue;
          }
          const elements = { SOPClassUID: parts.sopClassUid, SOPInstanceUID: parts.sopInstanceUid };
          // Re-encoding between the two plain syntaxes needs the full data set; otherwise the bytes go as they are.
          const dataset = plan.reencode
            ? new Dataset(p.encoded, parts.transferSyntaxUid)
            : new EncodedDataset(elements, parts.transferSyntaxUid, p.encoded!);
          const r = new req.CStoreRequest(dataset);
          r.on('response', (rsp: responses.CStoreResponse) => {
            const status = rsp.getStatus();
            answered++;
            result.status = status;
            result.stored = isStoredStatus(status);
            const comment = rsp.getErrorComment();
            result.message = `${describeStatus(status)}${comment ? ` (${comment})` : ''}${plan.reencode ? `; sent re-encoded as ${plan.transferSyntaxUid}` : ''}`;
          });
          out.push(r);
        }
        return out;
      },
    },
    t,
  );
  try {
    await association;
  } catch (e) {
    // Before any answer: the whole attempt failed (refused, rejected, timeout). After some answers: keep what the
    // peer confirmed and mark the rest as unanswered, so a retry sends only those.
    if (answered === 0) throw e;
    for (const r of results) if (r.status === undefined && r.message.startsWith('not answered')) r.message = `not answered: ${(e as Error).message}`;
  }
  const stored = results.filter((r) => r.stored).length;
  log.info(`C-STORE to ${peerLabel(peer)}: ${stored}/${results.length} stored`, {
    failed: results.filter((r) => !r.stored).map((r) => ({ sopInstanceUid: r.sopInstanceUid, message: r.message })),
  });
  return results;
}

// ------------------------------------------------------------------ C-FIND / C-MOVE

export interface RemoteSeries {
  seriesInstanceUid: string;
  modality: string;
  seriesNumber?: number;
  seriesDescription: string;
  /** NumberOfSeriesRelatedInstances, when the peer reports it. */
  instances?: number;
}

const PLAIN = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];

function requireContext(peer: DimsePeer, accepted: AcceptedContext[], sopClass: string, what: string): void {
  if (!accepted.some((a) => a.abstractSyntaxUid === sopClass)) {
    throw new DimseScuError('no-presentation-context', `${peerLabel(peer)} does not support ${what} (${sopClass}: ${describeContextResult(3)})`);
  }
}

function failedQuery(peer: DimsePeer, what: string, status: number, comment?: string): DimseScuError {
  const hex = `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
  return new DimseScuError('network', `${what} at ${peerLabel(peer)} failed: ${describeStatus(status)} (${hex})${comment ? `: ${comment}` : ''}`);
}

/** C-FIND, Study Root, SERIES level: the series the peer holds for a study. */
export async function findSeries(peer: DimsePeer, studyInstanceUid: string, t: ScuTimeouts = {}): Promise<RemoteSeries[]> {
  const found: RemoteSeries[] = [];
  let final: { status: number; comment?: string } | undefined;
  const sop = DimseSopClass.StudyRootQueryRetrieveInformationModelFind;
  await runAssociation(peer, [{ abstractSyntaxUid: sop, transferSyntaxUids: PLAIN }], {
    onAccepted(accepted) {
      requireContext(peer, accepted, sop, 'Study Root C-FIND');
      const r = req.CFindRequest.createSeriesFindRequest({ StudyInstanceUID: studyInstanceUid });
      r.on('response', (rsp: responses.CFindResponse) => {
        const status = rsp.getStatus();
        const ds = rsp.getDataset();
        if ((status === 0xff00 || status === 0xff01) && ds) {
          const e = ds.getElements();
          const n = Number(e.SeriesNumber);
          const count = Number(e.NumberOfSeriesRelatedInstances);
          found.push({
            seriesInstanceUid: String(e.SeriesInstanceUID ?? ''),
            modality: String(e.Modality ?? ''),
            seriesNumber: e.SeriesNumber !== undefined && e.SeriesNumber !== '' && Number.isFinite(n) ? n : undefined,
            seriesDescription: String(e.SeriesDescription ?? ''),
            instances: e.NumberOfSeriesRelatedInstances !== undefined && e.NumberOfSeriesRelatedInstances !== '' && Number.isFinite(count) ? count : undefined,
          });
        } else if (status !== 0xff00 && status !== 0xff01) {
          final = { status, comment: rsp.getErrorComment() };
        }
      });
      return [r];
    },
  }, t);
  if (!final) throw new DimseScuError('network', `${peerLabel(peer)} ended the C-FIND without a final response`);
  if (final.status !== 0) throw failedQuery(peer, 'C-FIND', final.status, final.comment);
  return found.filter((s) => s.seriesInstanceUid);
}

export interface MoveResult {
  status: number;
  completed: number;
  failed: number;
  warnings: number;
}

/**
 * C-MOVE, Study Root, SERIES level: asks the peer to send one series to `destinationAeTitle` (normally our own SCP;
 * the peer must know that AE title, host and port). Resolves when the peer reports the move finished; rejects when
 * it reports failure (e.g. 0xA801 move destination unknown).
 */
export async function moveSeries(
  peer: DimsePeer,
  studyInstanceUid: string,
  seriesInstanceUid: string,
  destinationAeTitle: string,
  t: ScuTimeouts = {},
): Promise<MoveResult> {
  let final: (MoveResult & { comment?: string }) | undefined;
  const sop = DimseSopClass.StudyRootQueryRetrieveInformationModelMove;
  await runAssociation(peer, [{ abstractSyntaxUid: sop, transferSyntaxUids: PLAIN }], {
    onAccepted(accepted) {
      requireContext(peer, accepted, sop, 'Study Root C-MOVE');
      const r = req.CMoveRequest.createSeriesMoveRequest(destinationAeTitle, studyInstanceUid, seriesInstanceUid);
      r.on('response', (rsp: responses.CMoveResponse) => {
        const status = rsp.getStatus();
        if (status === 0xff00 || status === 0xff01) return;
        final = {
          status,
          completed: rsp.getCompleted() ?? 0,
          failed: rsp.getFailures() ?? 0,
          warnings: rsp.getWarnings() ?? 0,
          comment: rsp.getErrorComment(),
        };
      });
      return [r];
    },
  }, t);
  if (!final) throw new DimseScuError('network', `${peerLabel(peer)} ended the C-MOVE without a final response`);
  if (final.status !== 0 && final.status !== 0xb000) throw failedQuery(peer, 'C-MOVE', final.status, final.comment);
  const { comment: _comment, ...result } = final;
  return result;
}
