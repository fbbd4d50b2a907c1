/**
 * The durable instance store: Part 10 files under objects/<study>/<series>/<sop>.dcm plus a SQLite index.
 *
 * Ingest (STOW-RS and the DIMSE SCP call ingestBuffer / ingestFile, or batch() for many objects at once):
 *   1. structural walk (truncation is caught here, dcmjs would not), header decode, UID / SOP class checks;
 *   2. duplicate check: same SOP Instance UID with the same data set (same file bytes, or same-dataset.ts after
 *      the File Meta Information / decoded) -> 'duplicate'; a different data set follows node.duplicatePolicy:
 *      keep-first (default: a later, possibly corrupted resend cannot replace data already acknowledged and
 *      processed; the sender gets a warning) or replace (the new copy is stored, the study re-processed);
 *   3. temp file in store/tmp (same file system) + fsync, then rename to its UID path (ingest-batch.ts);
 *   4. group commit: the folders touched are fsynced, then every instance waiting is indexed in one SQLite
 *      transaction. Only then does the caller's promise resolve, so an outcome of 'stored' or 'duplicate' is
 *      safe to acknowledge: the file and its name are on disk, and the index row survives a process crash (a
 *      power loss may roll the row back; recovery re-indexes the file, see database.ts).
 * Crash safety: open() empties tmp/; after an unclean stop it also reconciles files and index (recovery.ts).
 */
import dcmjs from 'dcmjs';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type ReadStream } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EventEmitter } from 'node:events';
import { DicomParseError, readP10, str } from '../dicom/p10';
import { isValidUid } from '../dicom/uids';
import { createLogger, type Logger } from '../log/logger';
import { logLimited } from '../log/repeat-limit';
import { openDatabase, type Db } from './database';
import { toDicomJson, naturalizeDicomJson } from './dicom-json';
import { decodeInstanceJson, jsonNumbers, jsonString } from './instance-json-decoder';
import { shortPixelDataMessage, type PixelGeometry } from '../dicom/pixel-length';
import { fsyncDir, mkdirpTracked } from './durable-fs';
import { extractIndexFields } from './index-fields';
import { InstanceIndex, type IndexRow } from './index-db';
import { bufferSource, type ByteSource } from '../dicom/byte-source';
import { checkP10Structure, P10StructureError } from './p10-structure';
import { instancePath, seriesDir, storeLayout, studyDir, tempPath, type StoreLayout } from './paths';
import { DiskSpaceGuard } from './disk-space';
import type { RejectReason } from './reasons';
import { recoverStore, type RecoveryReport } from './recovery';
import { IngestBatch } from './ingest-batch';
import { outcomeOf, type Analysed } from './analysed';
import type { DicomJson, IngestContext, IngestOutcome, IngestSource, InstanceHeader, InstanceRecord, SeriesRecord, StoredEvent, StudyRecord } from './types';

export interface StoreOptions {
  /** node.dataDir: the store lives in <dataDir>/store, the index in <dataDir>/index.sqlite. */
  dataDir: string;
  /** SOP Class UIDs accepted; ['*'] accepts any. */
  acceptedSopClasses: readonly string[];
  /** Share an open database (the node shares one between store, study tracker and jobs). */
  db?: Db;
  /** Files up to this size are analysed in memory; larger ones by positioned reads. Default 64 MiB. */
  inMemoryLimitBytes?: number;
  /** fsync files and folders before an outcome resolves (node.durableWrites; default true). */
  durableWrites?: boolean;
  /** Refuse new instances while the store's disk has less free space than this (node.minFreeDiskMb). 0: no check. */
  minFreeBytes?: number;
  /** Same SOP Instance UID, different data set: keep the stored copy (default) or replace it (node.duplicatePolicy). */
  duplicatePolicy?: 'keep-first' | 'replace';
  logger?: Logger;
}

export class Rejection extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
    readonly uids: Partial<Pick<IngestOutcome, 'sopInstanceUid' | 'sopClassUid' | 'seriesInstanceUid' | 'studyInstanceUid' | 'transferSyntaxUid'>> = {},
  ) {
    super(message);
  }
}

/** Standard transfer syntaxes live under this root; private ones cannot be read reliably. */
const STANDARD_TS_ROOT = '1.2.840.10008.1.2';

interface PendingIndex {
  rows: IndexRow[];
  dirs: string[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class InstanceStore {
  readonly layout: StoreLayout;
  readonly db: Db;
  readonly index: InstanceIndex;
  /** Filled by open(): what start-up recovery found. */
  recovery?: RecoveryReport;
  /** @internal */
  readonly log: Logger;
  private readonly accepted: Set<string> | 'any';
  /** @internal Objects up to this size are analysed in memory. */
  readonly inMemoryLimit: number;
  /** @internal fsync before acknowledging (see StoreOptions.durableWrites). */
  readonly durable: boolean;
  /** @internal See StoreOptions.duplicatePolicy. */
  readonly duplicatePolicy: 'keep-first' | 'replace';
  private readonly ownsDb: boolean;
  private readonly events = new EventEmitter();
  /** Batches being committed (close() waits for them). */
  readonly committing = new Set<Promise<void>>();
  private readonly knownDirs = new Set<string>();
  private pending: PendingIndex[] = [];
  private flushScheduled = false;
  private readonly flushing = new Set<Promise<void>>();
  private closed = false;
  /** Free-space check before instances are accepted. */
  readonly disk: DiskSpaceGuard;
  /** Studies being deleted: instances for them are refused until the deletion is over. */
  private readonly purging = new Set<string>();

  private constructor(opts: StoreOptions) {
    this.layout = storeLayout(opts.dataDir);
    this.log = opts.logger ?? createLogger('store');
    this.accepted = opts.acceptedSopClasses.includes('*') ? 'any' : new Set(opts.acceptedSopClasses);
    this.inMemoryLimit = opts.inMemoryLimitBytes ?? 64 * 1024 * 1024;
    this.durable = opts.durableWrites ?? true;
    this.duplicatePolicy = opts.duplicatePolicy ?? 'keep-first';
    this.ownsDb = !opts.db;
    this.db = opts.db ?? openDatabase(this.layout.database);
    this.index = new InstanceIndex(this.db, this.layout.objects);
    this.events.setMaxListeners(50);
    this.disk = new DiskSpaceGuard(opts.dataDir, opts.minFreeBytes ?? 0);
  }

  /** Opens (creating if needed) the store and runs start-up recovery. */
  static async open(opts: StoreOptions): Promise<InstanceStore> {
    const store = new InstanceStore(opts);
    store.recovery = await recoverStore(store, store.log);
    return store;
  }

  // ---------------------------------------------------------------- ingest

  /** Ingests a Part 10 object held in memory. Resolves once the outcome is durable. Never throws for bad input. */
  async ingestBuffer(buf: Buffer, ctx: IngestContext): Promise<IngestOutcome> {
    const batch = this.batch(ctx);
    const outcome = batch.addBuffer(buf);
    await batch.commit();
    return outcome;
  }

  /**
   * Ingests a Part 10 file that the caller wrote (ideally at a path from `createTempPath()`, so the final move is
   * a rename on the same file system). The store takes ownership: the file is moved into the store, or deleted
   * when it is a duplicate or rejected.
   */
  async ingestFile(path: string, ctx: IngestContext): Promise<IngestOutcome> {
    const batch = this.batch(ctx);
    const outcome = batch.addFile(path);
    await batch.commit();
    return outcome;
  }

  /**
   * A batch of instances from one sender (one STOW-RS request): each object is analysed and written (fsynced) to a
   * temp file as it is added, so the fsyncs of many objects overlap; commit() then renames them into place, fsyncs
   * their folders once and indexes them in one transaction. Every add()'s outcome resolves at commit().
   */
  batch(ctx: IngestContext): IngestBatch {
    return new IngestBatch(this, ctx);
  }

  /** A path in the store's temp folder (same file system as the store) for a receiver to write an upload into. */
  createTempPath(hint = 'upload'): string {
    return tempPath(this.layout, hint);
  }

  /** Used by recovery: indexes a file already at its final path (no move). */
  async indexExistingFile(path: string, receivedAt: number): Promise<IngestOutcome> {
    const buf = await fsp.readFile(path);
    const ctx: IngestContext = { source: 'dimse' };
    let analysed: Analysed;
    try {
      analysed = this.analyse(bufferSource(buf), () => buf, ctx);
    } catch (e) {
      return this.rejection(e, ctx);
    }
    const f = analysed.fields;
    const expected = instancePath(this.layout, f.study.studyInstanceUid, f.series.seriesInstanceUid, f.instance.sopInstanceUid);
    if (expected !== path) {
      return { status: 'rejected', reason: 'invalid', message: `file ${path} does not sit at its UID path ${expected}` };
    }
    const sha256 = createHash('sha256').update(buf).digest('hex');
    const row = this.indexRow(analysed, sha256, ctx, 'recovered', receivedAt, path);
    await this.enqueueIndex([row], [dirname(path)]);
    return { ...outcomeOf(analysed, sha256), status: 'stored' };
  }

  /** @internal Structure, header and policy checks. Throws Rejection. */
  analyse(src: ByteSource, headerBytes: (until?: number) => Buffer, ctx: IngestContext): Analysed {
    let structure;
    try {
      structure = checkP10Structure(src);
    } catch (e) {
      // Name the instance when its header is readable (a cut-off upload usually still has it).
      if (e instanceof P10StructureError) throw new Rejection(e.reason, e.message, e.reason === 'not-dicom' ? {} : headerUids(headerBytes(Math.min(src.size, 4 << 20))));
      throw e;
    }
    const ts = structure.transferSyntaxUid;
    if (!isValidUid(ts) || !(ts === STANDARD_TS_ROOT || ts.startsWith(STANDARD_TS_ROOT + '.'))) {
      throw new Rejection('unsupported-transfer-syntax', `transfer syntax ${JSON.stringify(ts.slice(0, 64))} is not a standard DICOM transfer syntax`);
    }
    const { meta, dataset } = decodeHeaderBytes(headerBytes, structure.datasetOffset, structure.pixelDataOffset, src.size, ts);
    const uid = (tag: string): string | undefined => jsonString(dataset, tag).trim() || undefined;
    const uids = {
      sopInstanceUid: uid('00080018'),
      sopClassUid: uid('00080016'),
      seriesInstanceUid: uid('0020000E'),
      studyInstanceUid: uid('0020000D'),
      transferSyntaxUid: ts,
    };
    checkUids(meta, uids);
    if (!structure.hasPixelData && dataset['00280010']?.Value && dataset['00280011']?.Value) {
      throw new Rejection('missing-pixel-data', 'image has Rows and Columns but no Pixel Data (cut off before (7FE0,0010)?)', uids);
    }
    if (structure.pixelDataLength !== undefined) {
      const short = shortPixelDataMessage(pixelGeometry(dataset), structure.pixelDataLength);
      if (short) throw new Rejection('short-pixel-data', short, uids);
    }
    if (this.accepted !== 'any' && !this.accepted.has(uids.sopClassUid!)) {
      throw new Rejection('sop-class-not-accepted', `SOP Class ${uids.sopClassUid} is not accepted by this node (node.acceptedSopClasses)`, uids);
    }
    if (ctx.expectedStudyUid && ctx.expectedStudyUid !== uids.studyInstanceUid) {
      throw new Rejection('study-mismatch', `instance belongs to study ${uids.studyInstanceUid}, not to ${ctx.expectedStudyUid} named in the request`, uids);
    }
    return {
      fields: extractIndexFields(dataset),
      transferSyntaxUid: ts,
      pixelDataOffset: structure.pixelDataOffset,
      metadata: dataset,
      size: src.size,
    };
  }

  /** @internal An outcome for an error thrown while ingesting. */
  rejection(e: unknown, ctx: IngestContext): IngestOutcome {
    if (e instanceof Rejection) {
      logLimited(this.log, 'info', 'instance rejected', { reason: e.reason, detail: e.message, source: ctx.source, sopInstanceUid: e.uids.sopInstanceUid, remoteAddress: ctx.remoteAddress, callingAeTitle: ctx.callingAeTitle });
      return { status: 'rejected', reason: e.reason, message: e.message, ...e.uids };
    }
    const err = e as NodeJS.ErrnoException;
    const reason: RejectReason = err?.code === 'ENOSPC' || err?.code === 'EDQUOT' || err?.code === 'EMFILE' ? 'out-of-resources' : 'internal';
    this.log.error('instance ingest failed', { reason, error: err?.message, code: err?.code });
    return { status: 'rejected', reason, message: reason === 'out-of-resources' ? `storage out of resources (${err.code})` : `internal error: ${err?.message}` };
  }

  /** @internal The index row of an analysed object stored at finalPath. */
  indexRow(a: Analysed, sha256: string, ctx: IngestContext, source: IngestSource, receivedAt: number, finalPath: string): IndexRow {
    return {
      fields: a.fields,
      transferSyntaxUid: a.transferSyntaxUid,
      pixelDataOffset: a.pixelDataOffset,
      relPath: relative(this.layout.objects, finalPath),
      size: a.size,
      sha256,
      receivedAt,
      source,
      callingAeTitle: ctx.callingAeTitle,
      remoteAddress: ctx.remoteAddress,
      ...(ctx.user ? { user: ctx.user } : {}),
      metadata: a.metadata,
    };
  }

  /** @internal Creates the series folder once; returns the folders whose entries changed (to fsync). */
  async ensureSeriesDir(studyUid: string, seriesUid: string): Promise<string[]> {
    const dir = seriesDir(this.layout, studyUid, seriesUid);
    if (this.knownDirs.has(dir)) return [dir];
    const dirs = [dir];
    for (const created of await mkdirpTracked(dir)) dirs.push(dirname(created));
    this.knownDirs.add(dir);
    return dirs;
  }

  /** @internal True while the study is being deleted (its instances are refused meanwhile). */
  isPurging(studyUid: string): boolean {
    return this.purging.has(studyUid);
  }

  /**
   * Deletes a study from the store: its files and index rows (and the patient row when it was the patient's last
   * study). Instances of the study that arrive meanwhile are refused (out of resources: "being deleted"). Safe
   * against a crash at any point: the study folder is renamed into trash/ first (atomic), then the rows go in one
   * transaction; start-up recovery finishes an interrupted deletion. Returns what was removed.
   */
  async purgeStudy(studyUid: string): Promise<{ instances: number; bytes: number }> {
    const dir = studyDir(this.layout, studyUid); // validates the UID before it touches a path
    if (this.purging.has(studyUid)) throw new Error(`study ${studyUid} is already being deleted`);
    this.purging.add(studyUid);
    try {
      // Commits that started before the flag may still place files of this study: let them finish first.
      await Promise.allSettled([...this.committing]);
      await Promise.allSettled([...this.flushing]);
      const trashed = join(this.layout.trash, `${studyUid}.${Date.now()}`);
      await fsp.mkdir(this.layout.trash, { recursive: true });
      let moved = true;
      try {
        await fsp.rename(dir, trashed);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        moved = false; // no files (never stored, or only index rows left by a crash)
      }
      if (moved && this.durable) await Promise.all([fsyncDir(this.layout.objects), fsyncDir(this.layout.trash)]);
      for (const d of [...this.knownDirs]) if (d.startsWith(dir + '/')) this.knownDirs.delete(d);
      const removed = this.index.removeStudy(studyUid);
      if (moved) await fsp.rm(trashed, { recursive: true, force: true });
      this.log.info('study deleted from the store', { studyInstanceUid: studyUid, ...removed });
      return removed;
    } finally {
      this.purging.delete(studyUid);
    }
  }

  /** @internal SOP Instance UIDs being committed right now, each with a promise that settles when that commit ends. */
  readonly claims = new Map<string, Promise<void>>();

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * @internal Group commit: everything enqueued before the next tick shares one directory fsync pass and one
   * transaction.
   */
  enqueueIndex(rows: IndexRow[], dirs: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ rows, dirs, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          const batch = this.pending;
          this.pending = [];
          const p = this.flush(batch).finally(() => this.flushing.delete(p));
          this.flushing.add(p);
        });
      }
    });
  }

  private async flush(batch: PendingIndex[]): Promise<void> {
    try {
      const dirs = new Set<string>();
      for (const b of batch) for (const d of b.dirs) dirs.add(d);
      if (this.durable) await Promise.all([...dirs].map((d) => fsyncDir(d)));
      this.index.insertMany(batch.flatMap((b) => b.rows));
    } catch (e) {
      for (const b of batch) b.reject(e);
      return;
    }
    for (const b of batch) b.resolve();
  }

  /** @internal */
  emitStored(e: StoredEvent): void {
    for (const l of this.events.listeners('stored') as Array<(e: StoredEvent) => void>) {
      try {
        l(e);
      } catch (err) {
        this.log.error('stored-event listener failed', { error: (err as Error).message, sopInstanceUid: e.sopInstanceUid });
      }
    }
  }

  /** Called after each newly stored instance is durable. Returns an unsubscribe function. */
  onStored(listener: (e: StoredEvent) => void): () => void {
    this.events.on('stored', listener);
    return () => this.events.off('stored', listener);
  }

  // ---------------------------------------------------------------- read

  getInstance(sopInstanceUid: string): InstanceRecord | undefined {
    return this.index.getInstance(sopInstanceUid);
  }

  /** Instances of a study (or one series), ordered by series, then InstanceNumber. */
  listInstances(scope: { studyInstanceUid?: string; seriesInstanceUid?: string }): InstanceRecord[] {
    return this.index.listInstances({ studyUid: scope.studyInstanceUid, seriesUid: scope.seriesInstanceUid });
  }

  /** Instances with their whole header (naturalized), for series identification and volume building. */
  instanceHeaders(scope: { studyInstanceUid?: string; seriesInstanceUid?: string; sopInstanceUid?: string }): InstanceHeader[] {
    return this.index
      .metadata({ studyUid: scope.studyInstanceUid, seriesUid: scope.seriesInstanceUid, sopUid: scope.sopInstanceUid })
      .map((m) => ({ ...m.record, dataset: naturalizeDicomJson(m.metadata) }));
  }

  /** Stored DICOM JSON (no bulk data) of instances in scope. */
  instanceMetadata(scope: { studyInstanceUid?: string; seriesInstanceUid?: string; sopInstanceUid?: string }): Array<{ record: InstanceRecord; metadata: DicomJson }> {
    return this.index.metadata({ studyUid: scope.studyInstanceUid, seriesUid: scope.seriesInstanceUid, sopUid: scope.sopInstanceUid });
  }

  listStudies(opts: { limit?: number; offset?: number } = {}): StudyRecord[] {
    return this.index.studies(opts);
  }

  getStudy(studyInstanceUid: string): StudyRecord | undefined {
    return this.index.getStudy(studyInstanceUid);
  }

  listSeries(studyInstanceUid: string): SeriesRecord[] {
    return this.index.series(studyInstanceUid);
  }

  getSeries(seriesInstanceUid: string): SeriesRecord | undefined {
    return this.index.getSeries(seriesInstanceUid);
  }

  /** The stored Part 10 bytes of one instance. */
  async readInstance(sopInstanceUid: string): Promise<Buffer> {
    const rec = this.requireInstance(sopInstanceUid);
    return fsp.readFile(rec.path);
  }

  /** A read stream over the stored Part 10 file (optionally a byte range). */
  openInstanceStream(sopInstanceUid: string, range?: { start: number; end?: number }): ReadStream {
    const rec = this.requireInstance(sopInstanceUid);
    return createReadStream(rec.path, range ?? {});
  }

  private requireInstance(sop: string): InstanceRecord {
    const rec = this.index.getInstance(sop);
    if (!rec) throw new Error(`no stored instance with SOP Instance UID ${sop}`);
    return rec;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Waits for pending index commits, closes the database (when owned) and marks a clean shutdown. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.committing]);
    await Promise.allSettled([...this.flushing]);
    // The CLEAN marker promises "index and files agree": make the index durable first.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    await fsp.writeFile(this.layout.cleanMarker, `${new Date().toISOString()}\n`);
    await fsyncDir(this.layout.root);
    if (this.ownsDb) this.db.close();
  }
}

function checkUids(
  meta: DicomJson,
  uids: { sopInstanceUid?: string; sopClassUid?: string; seriesInstanceUid?: string; studyInstanceUid?: string; transferSyntaxUid: string },
): void {
  const named = [
    ['SOPClassUID', uids.sopClassUid],
    ['SOPInstanceUID', uids.sopInstanceUid],
    ['StudyInstanceUID', uids.studyInstanceUid],
    ['SeriesInstanceUID', uids.seriesInstanceUid],
  ] as const;
  const missing = named.filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) throw new Rejection('missing-uid', `missing ${missing.join(', ')}`, uids);
  for (const [k, v] of named) {
    if (!isValidUid(v)) throw new Rejection('invalid-uid', `${k} ${JSON.stringify(String(v).slice(0, 70))} is not a valid DICOM UID`, uids);
  }
  const metaSop = jsonString(meta, '00020003').trim();
  const metaClass = jsonString(meta, '00020002').trim();
  if (metaSop && metaSop !== uids.sopInstanceUid) {
    throw new Rejection('meta-mismatch', `File Meta MediaStorageSOPInstanceUID ${metaSop} differs from SOPInstanceUID ${uids.sopInstanceUid}`, uids);
  }
  if (metaClass && metaClass !== uids.sopClassUid) {
    throw new Rejection('meta-mismatch', `File Meta MediaStorageSOPClassUID ${metaClass} differs from SOPClassUID ${uids.sopClassUid}`, uids);
  }
}

/**
 * The header as DICOM JSON: the fast decoder for the common encodings, dcmjs for the rest. Only the bytes before
 * Pixel Data are read (the pixel bytes were already checked by the structural walk).
 */
function decodeHeaderBytes(
  headerBytes: (until?: number) => Buffer,
  datasetOffset: number,
  pixelDataOffset: number | undefined,
  size: number,
  ts: string,
): { meta: DicomJson; dataset: DicomJson } {
  const head = headerBytes(pixelDataOffset !== undefined ? Math.min(size, pixelDataOffset + 12) : undefined);
  const fast = decodeInstanceJson(head, datasetOffset, ts);
  if (fast) return fast;
  try {
    const parsed = readP10(head, { headerOnly: true });
    return { meta: toDicomJson(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(parsed.meta)), dataset: toDicomJson(parsed.raw) };
  } catch (e) {
    if (e instanceof DicomParseError) throw new Rejection(e.reason, e.message);
    throw new Rejection('invalid', `cannot decode data set: ${(e as Error).message}`);
  }
}

/** The Image Pixel attributes of a decoded header (DICOM JSON). */
export function pixelGeometry(ds: DicomJson): PixelGeometry {
  const n = (tag: string): number | undefined => jsonNumbers(ds, tag)?.[0];
  return {
    rows: n('00280010'),
    columns: n('00280011'),
    samplesPerPixel: n('00280002'),
    bitsAllocated: n('00280100'),
    numberOfFrames: n('00280008'),
    photometricInterpretation: jsonString(ds, '00280004'),
  };
}

/** Best-effort UIDs of a damaged object, for error reports. */
function headerUids(buf: Buffer): Partial<IngestOutcome> {
  try {
    const { dataset: ds, meta } = readP10(buf, { headerOnly: true });
    const pick = (k: string): string | undefined => {
      const v = str(ds, k).trim();
      return isValidUid(v) ? v : undefined;
    };
    return { sopInstanceUid: pick('SOPInstanceUID'), sopClassUid: pick('SOPClassUID'), seriesInstanceUid: pick('SeriesInstanceUID'), studyInstanceUid: pick('StudyInstanceUID'), transferSyntaxUid: str(meta, 'TransferSyntaxUID') || undefined };
  } catch {
    return {};
  }
}
