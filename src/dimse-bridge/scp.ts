/**
 * DIMSE Storage SCP: C-ECHO and C-STORE into the node's durable store (the same store and study-completeness path
 * as STOW-RS).
 *
 * - Associations: the called AE title must be ours and the calling AE title must be in the allow-list (when one
 *   is configured); otherwise A-ASSOCIATE-RJ rejected-permanent / service-user / called- or calling-AE-title-not-
 *   recognized. Over `maxAssociations` concurrent associations: rejected-transient / service-provider
 *   (presentation) / local-limit-exceeded.
 * - Presentation contexts: negotiation.ts decides (unsupported SOP class -> abstract-syntax-not-supported).
 * - Data: dcmjs-dimse would parse each data set into a dcmjs object and lose the original encoding. We override
 *   its store-stream hooks so the fragments go, untouched, into an InstanceSpool behind a Part 10 header naming the
 *   accepted transfer syntax: the stored file is byte-for-byte what the sender encoded.
 * - Durability: the C-STORE-RSP is sent only after the store has the instance durably (fsync + rename + index).
 *   An association that drops mid-transfer discards its partial instance; instances already answered stay stored.
 * - DICOM TLS (optional): the same SCP on a second, TLS port; with client certificates required, only peers whose
 *   certificate the site CA signed get as far as association negotiation. The certificate subject is logged.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket, type TlsOptions } from 'node:tls';
import { mkdirSync } from 'node:fs';
import { Dataset, Scp, constants, type association, type requests, responses } from 'dcmjs-dimse';
import { encodeStoreResponsePdu } from './store-response';
import type { Writable } from 'node:stream';
import { createLogger, type Logger } from '../log/logger';
import type { IngestContext, IngestOutcome } from '../store/types';
import { cStoreStatus, DUPLICATE_WARNING, hex4 } from '../store/reasons';
import { STORAGE_SOP_CLASSES, StoreStatus, describeStatus } from './conformance';
import { buildFileMetaHeader } from './file-meta';
import { InstanceSpool, type SpoolResult } from './instance-spool';
import { ContextResult, decideContext, sopClassAcceptor } from './negotiation';
import { quietDimseLibrary } from './library-log';
import type { AuditRecorder } from '../audit/recorder';
import { encodeAbortPdu, PduLengthGuard, pduLimits, type PduViolation } from './pdu-guard';

const { RejectResult, RejectSource, RejectReason } = constants;
const { CEchoResponse } = responses;

/** The part of the instance store the SCP needs (src/store implements it). */
export interface InstanceSink {
  ingestBuffer(buf: Buffer, ctx: IngestContext): Promise<IngestOutcome>;
  ingestFile(path: string, ctx: IngestContext): Promise<IngestOutcome>;
}

export interface ScpOptions {
  aeTitle: string;
  /** Empty = any calling AE may associate. */
  allowedCallingAeTitles: string[];
  /** Reject associations whose called AE title is not ours (default true). */
  checkCalledAeTitle?: boolean;
  host: string;
  /** 0 = pick a free port (tests). */
  port: number;
  maxAssociations: number;
  /** Connections that have not had their A-ASSOCIATE-RQ answered yet; more are closed at once (default 16). */
  maxUnassociatedConnections?: number;
  /** Largest P-DATA PDU we accept (announced in A-ASSOCIATE-AC); a PDU declaring more is aborted (pdu-guard.ts). */
  maxPduLength: number;
  /** Seconds from connect until the A-ASSOCIATE-RQ is received and answered; then the connection is closed. */
  associationTimeoutSeconds: number;
  /** Seconds an association may stay without a PDU. */
  idleTimeoutSeconds: number;
  /** Folder for instances larger than spoolMemoryLimitBytes while they arrive (same file system as the store). */
  spoolDir: string;
  spoolMemoryLimitBytes: number;
  /** Storage SOP classes to accept (node.acceptedSopClasses; default: conformance.ts STORAGE_SOP_CLASSES). */
  acceptedSopClasses?: readonly string[];
  sink: InstanceSink;
  /** The audit trail (one receipt record per calling AE, study and burst of C-STOREs). */
  audit?: Pick<AuditRecorder, 'received'>;
  /** DICOM TLS listener (dimse.tls): server TLS options (PEM buffers read at start-up) and its port (0 = free port). */
  tls?: { port: number; options: TlsOptions; alsoPlain: boolean };
}

export interface DimseScp {
  /** The plain port actually bound (useful with port 0); the TLS port when the SCP listens on TLS only. */
  readonly port: number;
  /** The DICOM TLS port actually bound, when dimse.tls is set. */
  readonly tlsPort?: number;
  readonly aeTitle: string;
  /** Connections open right now (associated or still negotiating). */
  activeAssociations(): number;
  /** Stops listening, aborts open associations (their partial instances are discarded). */
  close(): Promise<void>;
}

interface Counters {
  stored: number;
  duplicate: number;
  failed: number;
}

/** One connection = one association. dcmjs-dimse calls the overridden methods below. */
class StorageScp extends Scp {
  private readonly log: Logger;
  private readonly remote: string;
  private callingAe = '';
  private calledAe = '';
  private current: InstanceSpool | undefined;
  private readonly spools = new WeakMap<object, { spool: InstanceSpool; contextId: number }>();
  private readonly counters: Counters = { stored: 0, duplicate: 0, failed: 0 };
  private readonly openedAt = Date.now();
  private accepted = false;
  /** The A-ASSOCIATE-RQ was answered (accepted or rejected). */
  negotiated = false;
  private inFlight = 0;
  private closed = false;
  private readonly acceptsSopClass: (uid: string) => boolean;

  constructor(
    private readonly sock: Socket,
    private readonly opts: ScpOptions,
    private readonly registry: Set<StorageScp>,
  ) {
    super(sock, {
      // startScp's own timer closes a connection that does not associate in time (with a clear log line); the
      // library's interval-based check is only a backstop.
      associationTimeout: (opts.associationTimeoutSeconds + 5) * 1000,
      pduTimeout: opts.idleTimeoutSeconds * 1000,
      connectTimeout: opts.idleTimeoutSeconds * 1000,
    });
    this.log = createLogger('dimse-scp');
    this.acceptsSopClass = sopClassAcceptor(opts.acceptedSopClasses ?? [...STORAGE_SOP_CLASSES.keys()]);
    this.remote = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    if (sock instanceof TLSSocket) {
      // Who the site CA vouched for: part of the audit trail of every association on the TLS port.
      const cn = sock.getPeerCertificate()?.subject?.CN;
      this.remote += cn ? ` (TLS, certificate CN=${cn})` : ' (TLS)';
    }
    // dcmjs-dimse's Server sets these; we run our own net.Server (host binding, limits, TCP_NODELAY).
    Object.assign(this, { connected: true, connectedTime: Date.now() });
    this.on('close', () => this.onClosed());
    this.on('networkError', (e: Error) => {
      this.log.warn('DIMSE connection error', { callingAeTitle: this.callingAe, remote: this.remote, error: e.message });
      sock.destroy();
    });
  }

  override associationRequested(assoc: association.Association): void {
    this.negotiated = true;
    this.callingAe = assoc.getCallingAeTitle().trim();
    this.calledAe = assoc.getCalledAeTitle().trim();
    const who = { callingAeTitle: this.callingAe, calledAeTitle: this.calledAe, remote: this.remote };
    const ours = this.opts.aeTitle.trim();
    if (this.opts.checkCalledAeTitle !== false && this.calledAe !== ours) {
      this.log.warn(`association rejected: called AE title "${this.calledAe}" is not ours ("${ours}")`, who);
      this.reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
      return;
    }
    const allow = this.opts.allowedCallingAeTitles.map((a) => a.trim());
    if (allow.length > 0 && !allow.includes(this.callingAe)) {
      this.log.warn(`association rejected: calling AE title "${this.callingAe}" is not in dimse.allowedCallingAeTitles`, who);
      this.reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
      return;
    }
    const open = [...this.registry].filter((s) => s.accepted).length;
    if (open >= this.opts.maxAssociations) {
      this.log.warn(`association rejected: ${open} associations already open (dimse.maxAssociations)`, who);
      this.reject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, RejectReason.LocalLimitExceeded);
      return;
    }
    const rejected = new Map<string, string>();
    for (const { context } of assoc.getPresentationContexts()) {
      const d = decideContext(
        { id: context.getPresentationContextId(), abstractSyntaxUid: context.getAbstractSyntaxUid(), transferSyntaxUids: context.getTransferSyntaxUids() },
        this.acceptsSopClass,
      );
      if (d.result === ContextResult.Accept) context.setResult(d.result, d.transferSyntaxUid);
      else {
        context.setResult(d.result);
        const why = d.result === ContextResult.AbstractSyntaxNotSupported ? 'SOP class not supported' : 'no supported transfer syntax';
        if (!rejected.has(d.abstractSyntaxUid) || why !== 'SOP class not supported') rejected.set(d.abstractSyntaxUid, why);
      }
    }
    if (rejected.size) {
      // storescu proposes ~120 SOP classes by default: log a short summary, in full only at debug level.
      const list = [...rejected].map(([uid, why]) => `${uid} (${why})`);
      this.log.info(`presentation contexts rejected for ${rejected.size} abstract syntaxes: ${list.slice(0, 4).join(', ')}${list.length > 4 ? ', ...' : ''}`, who);
      this.log.debug(`all rejected abstract syntaxes: ${list.join(', ')}`, who);
    }
    // The A-ASSOCIATE-AC must carry OUR receive limit. dcmjs-dimse would send min(peer's limit, ours), which
    // makes a peer that proposes 16 KB send us 16 KB PDUs, and a peer that proposes 0 ("unlimited") unbounded ones.
    // Everything this SCP sends is a short response PDU, far below any peer's limit, so pinning the value is safe.
    assoc.setMaxPduLength(this.opts.maxPduLength);
    assoc.setMaxPduLength = () => undefined;
    this.accepted = true;
    this.log.info('association accepted', { ...who, contexts: assoc.getPresentationContexts().length });
    this.sendAssociationAccept();
  }

  /** A-ASSOCIATE-RJ, then close our side once it is flushed (the requestor should close too, PS3.8 9.2.3). */
  private reject(result: number, source: number, reason: number): void {
    this.sendAssociationReject(result, source, reason);
    this.sock.end();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }

  override cEchoRequest(request: requests.CEchoRequest, callback: (response: responses.CEchoResponse) => void): void {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(StoreStatus.Success);
    callback(response);
  }

  /** dcmjs-dimse asks where to put the incoming data set: a spool that starts with the Part 10 header. */
  override createStoreWritableStream(context: association.PresentationContext, request: requests.CStoreRequest): Writable {
    const header = buildFileMetaHeader({
      sopClassUid: request.getAffectedSopClassUid(),
      sopInstanceUid: request.getAffectedSopInstanceUid(),
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
      sourceAeTitle: this.callingAe,
    });
    this.current = new InstanceSpool(header, this.opts.spoolDir, this.opts.spoolMemoryLimitBytes);
    return this.current as unknown as Writable;
  }

  /** All fragments are in: hand dcmjs-dimse a placeholder data set that points back to the spool. */
  override createDatasetFromStoreWritableStream(
    writable: Writable,
    context: association.PresentationContext,
    callback: (dataset: Dataset) => void,
  ): void {
    const spool = writable as unknown as InstanceSpool;
    spool.end();
    this.current = undefined;
    const placeholder = new Dataset({}, context.getAcceptedTransferSyntaxUid());
    this.spools.set(placeholder, { spool, contextId: context.getPresentationContextId() });
    callback(placeholder);
  }

  /** Stores, then answers. The response is encoded here (store-response.ts), not through dcmjs-dimse's callback. */
  override cStoreRequest(request: requests.CStoreRequest): void {
    const dataset = request.getDataset();
    const received = dataset ? this.spools.get(dataset) : undefined;
    this.inFlight++;
    void this.store(request, received?.spool)
      .then(({ status, comment }) => {
        if (this.sock.destroyed || !received) return;
        const pdu = encodeStoreResponsePdu({
          presentationContextId: received.contextId,
          messageIdBeingRespondedTo: request.getMessageId(),
          sopClassUid: request.getAffectedSopClassUid(),
          sopInstanceUid: request.getAffectedSopInstanceUid(),
          status,
          errorComment: comment,
        });
        this.sock.write(pdu);
      })
      .finally(() => this.inFlight--);
  }

  override abort(source: number, reason: number): void {
    this.log.warn('association aborted by peer', { callingAeTitle: this.callingAe, remote: this.remote, source, reason });
    this.sock.destroy();
  }

  /** Ingests one received instance; returns the C-STORE status (and an error comment for failures). Never throws. */
  private async store(request: requests.CStoreRequest, spool: InstanceSpool | undefined): Promise<{ status: number; comment?: string }> {
    const sopInstanceUid = request.getAffectedSopInstanceUid();
    const sopClassUid = request.getAffectedSopClassUid();
    const meta = { callingAeTitle: this.callingAe, remote: this.remote, sopInstanceUid, sopClassUid };
    if (!spool) {
      this.counters.failed++;
      this.log.error('C-STORE without a received data set', meta);
      return { status: StoreStatus.ProcessingFailure, comment: 'no data set received' };
    }
    if (spool.error) {
      this.counters.failed++;
      this.log.error(`C-STORE refused: could not spool the data set: ${spool.error.message}`, meta);
      spool.discard();
      return { status: StoreStatus.OutOfResources, comment: 'node could not write the instance' };
    }
    const ctx: IngestContext = { source: 'dimse', callingAeTitle: this.callingAe, calledAeTitle: this.calledAe, remoteAddress: this.sock.remoteAddress };
    let received: SpoolResult | undefined;
    try {
      received = spool.result();
      const outcome = received.kind === 'buffer' ? await this.opts.sink.ingestBuffer(received.buffer, ctx) : await this.opts.sink.ingestFile(received.path, ctx);
      this.opts.audit?.received(ctx, [outcome]);
      return this.statusFor(outcome, sopInstanceUid, meta);
    } catch (e) {
      this.counters.failed++;
      const err = e as NodeJS.ErrnoException;
      const disk = ['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE'].includes(err.code ?? '');
      this.log.error(`C-STORE failed while storing: ${err.message}`, { ...meta, code: err.code });
      return disk
        ? { status: StoreStatus.OutOfResources, comment: `node storage error ${err.code}` }
        : { status: StoreStatus.ProcessingFailure, comment: 'node processing failure' };
    } finally {
      if (received?.kind === 'file') spool.discard(); // the store copied or moved it; remove what is left
    }
  }

  private statusFor(outcome: IngestOutcome, commandUid: string, meta: Record<string, unknown>): { status: number; comment?: string } {
    if (outcome.status === 'stored' || outcome.status === 'duplicate') {
      if (outcome.sopInstanceUid && outcome.sopInstanceUid !== commandUid) {
        // The data set names another instance than the command did: stored under the data set's UID, and the
        // sender is told (PS3.4 B.2.3 warning 0xB007 would also fit; the mismatch is an error in the sender).
        this.counters.failed++;
        this.log.warn(`C-STORE data set SOP Instance UID ${outcome.sopInstanceUid} differs from the command's`, meta);
        return { status: StoreStatus.DataSetDoesNotMatchSopClass, comment: 'data set SOP Instance UID differs from command' };
      }
      if (outcome.status === 'stored') this.counters.stored++;
      else this.counters.duplicate++;
      // A different data set under a stored UID (keep-first): a warning, so the sender goes on with the study.
      if (outcome.conflict) return { status: DUPLICATE_WARNING, comment: 'different data set already stored; first copy kept' };
      return { status: StoreStatus.Success };
    }
    this.counters.failed++;
    const status = outcome.reason ? cStoreStatus(outcome.reason) : StoreStatus.CannotUnderstand;
    this.log.warn(`C-STORE refused (${hex4(status)} ${describeStatus(status)}): ${outcome.reason ?? 'rejected'}: ${outcome.message ?? ''}`, meta);
    return { status, comment: `${outcome.reason ?? 'rejected'}${outcome.message ? ': ' + outcome.message : ''}` };
  }

  /**
   * Ends a connection that broke the upper-layer rules (pdu-guard.ts) or stayed too long before association: no
   * more bytes reach dcmjs-dimse, the peer gets an A-ABORT when one is due, and the socket is destroyed shortly
   * after, whatever the peer does.
   */
  refuse(why: string, abortReason?: PduViolation['abortReason']): void {
    if (this.sock.destroyed) return;
    this.log.warn(`DIMSE connection aborted: ${why}`, { callingAeTitle: this.callingAe || undefined, remote: this.remote });
    this.sock.removeAllListeners('data');
    this.sock.on('data', () => undefined); // keep reading (and dropping) so the peer is not left blocked
    if (abortReason !== undefined) this.sock.end(encodeAbortPdu(abortReason));
    else this.sock.end();
    setTimeout(() => this.sock.destroy(), 500).unref();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.delete(this);
    if (this.current) {
      this.log.warn('association ended mid-transfer: partial instance discarded', {
        callingAeTitle: this.callingAe,
        remote: this.remote,
        bytesReceived: this.current.bytes,
      });
      this.current.discard();
      this.current = undefined;
    }
    if (this.accepted) {
      this.log.info('association closed', {
        callingAeTitle: this.callingAe,
        remote: this.remote,
        ...this.counters,
        storingWhenClosed: this.inFlight,
        seconds: Math.round((Date.now() - this.openedAt) / 100) / 10,
      });
    }
  }
}

/** Starts the SCP; resolves once it listens. */
export async function startScp(opts: ScpOptions): Promise<DimseScp> {
  quietDimseLibrary();
  mkdirSync(opts.spoolDir, { recursive: true });
  const log = createLogger('dimse-scp');
  const live = new Set<StorageScp>();
  const maxUnassociated = opts.maxUnassociatedConnections ?? 16;
  const accept = (sock: Socket): void => {
    // TCP_NODELAY: without it every C-STORE-RSP waits for the peer's delayed ACK (~40 ms per instance).
    sock.setNoDelay(true);
    const unassociated = [...live].filter((s) => !s.negotiated).length;
    if (unassociated >= maxUnassociated) {
      log.warn(`DIMSE connection closed: ${unassociated} connections are already negotiating (dimse.maxUnassociatedConnections)`, {
        remote: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`,
      });
      sock.destroy();
      return;
    }
    const scp = new StorageScp(sock, opts, live);
    live.add(scp);
    // prependListener: the guard sees each chunk before dcmjs-dimse's own 'data' listener buffers it.
    const guard = new PduLengthGuard(pduLimits(opts.maxPduLength));
    sock.prependListener('data', (chunk: Buffer) => {
      const v = guard.feed(chunk);
      if (v) scp.refuse(v.message, v.abortReason);
    });
    // The ARTIM timer of PS3.8 9.1.5: when it expires before an A-ASSOCIATE-RQ, the connection is just closed (AA-2).
    const timer = setTimeout(() => {
      if (!scp.negotiated) scp.refuse(`no A-ASSOCIATE-RQ within ${opts.associationTimeoutSeconds} s of connecting (dimse.associationTimeoutSeconds)`);
    }, opts.associationTimeoutSeconds * 1000);
    timer.unref();
    sock.once('close', () => clearTimeout(timer));
  };
  const servers: NetServer[] = [];
  const listen = async (server: NetServer, port: number, what: string): Promise<number> => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException) => reject(new Error(`DIMSE SCP cannot listen on ${opts.host}:${port} (${what}): ${e.code ?? e.message}`));
      server.once('error', failed);
      server.listen(port, opts.host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    server.on('error', (e) => log.error(`DIMSE listener error: ${e.message}`));
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  };
  const closeServers = (): Promise<void[]> => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  let port: number | undefined;
  let tlsPort: number | undefined;
  try {
    if (!opts.tls || opts.tls.alsoPlain) port = await listen(createServer({ noDelay: true }, accept), opts.port, 'dimse.host/dimse.port');
    if (opts.tls) {
      // The TLS handshake comes before any PDU: bound it like the association request (Node's default is 120 s).
      const tlsServer = createTlsServer({ handshakeTimeout: opts.associationTimeoutSeconds * 1000, ...opts.tls.options, noDelay: true }, accept);
      // A refused handshake (no or untrusted client certificate) never reaches DIMSE: log it with the address.
      tlsServer.on('tlsClientError', (e, sock) => log.warn('DICOM TLS handshake refused', { remote: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`, error: e.message }));
      tlsPort = await listen(tlsServer, opts.tls.port, 'dimse.host/dimse.tls.port');
    }
  } catch (e) {
    await closeServers();
    throw e;
  }
  log.info(`DIMSE SCP listening as ${opts.aeTitle} on ${opts.host}:${[port != null ? `${port}` : '', tlsPort != null ? `${tlsPort} (TLS)` : ''].filter(Boolean).join(' and ')}`, {
    allowedCallingAeTitles: opts.allowedCallingAeTitles.length ? opts.allowedCallingAeTitles : 'any',
  });
  return {
    port: port ?? tlsPort!,
    tlsPort,
    aeTitle: opts.aeTitle,
    activeAssociations: () => live.size,
    async close() {
      const closed = closeServers();
      for (const s of live) (s as unknown as { socket: Socket }).socket.destroy();
      await closed;
    },
  };
}
