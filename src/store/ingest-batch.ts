/**
 * One batch of instances from one sender (a STOW-RS request, or a single C-STORE). Why batches: an fsync costs
 * milliseconds, one after another they cap a receiver at ~150 instances/s; issued while the next parts are
 * still arriving they overlap, and the folder fsync and index transaction are paid once per batch.
 *
 *   add*()  : analyse (structure walk, header, UID and policy checks) -> duplicate check -> temp file + fsync
 *   commit(): every temp file durable -> claim the SOP Instance UIDs -> rename into place -> fsync folders ->
 *             one index transaction -> stored events -> outcomes resolve
 *
 * Same SOP Instance UID again: identical file bytes are answered at once ('duplicate'); other bytes are compared
 * with the stored copy as data sets (same-dataset.ts): the same data set is a 'duplicate', a different one follows
 * node.duplicatePolicy. keep-first (the stored copy never changes) compares at once, without a temp file, and
 * answers a 'duplicate' with `conflict` set; replace writes a temp file like a new object, compares while the UID is
 * claimed, and stores it over the old copy. In one batch, a second copy follows the first's outcome (the first copy
 * wins). In two concurrent batches, the UID is claimed by whichever commits first and the other waits for that
 * commit and then compares (no lock ordering, so no deadlock).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { fsyncFile, writeFileSynced } from './durable-fs';
import { bufferSource, fileSource } from '../dicom/byte-source';
import { instancePath, tempPath } from './paths';
import { compareDataSets, type P10Object } from './same-dataset';
import { diskSpaceMb, lowDiskMessage } from './disk-space';
import { outcomeOf, type Analysed } from './analysed';
import type { InstanceStore } from './store';
import type { IngestContext, IngestOutcome, InstanceRecord } from './types';

interface Entry {
  analysed: Analysed;
  sha256: string;
  /** Durable temp file (set once `written` resolves). */
  temp?: string;
  written: Promise<void>;
  writeError?: unknown;
  resolve(o: IngestOutcome): void;
  /** Later adds of the same SOP Instance UID in this batch. */
  followers: Array<{ sha256: string; temp?: string; resolve(o: IngestOutcome): void }>;
  receivedAt: number;
}

export class IngestBatch {
  private readonly entries: Entry[] = [];
  private readonly bySop = new Map<string, Entry>();
  private readonly settled: Array<Promise<unknown>> = [];
  private committed = false;

  constructor(
    private readonly store: InstanceStore,
    private readonly ctx: IngestContext,
  ) {}

  private readonly writing = new Set<Promise<void>>();
  /** Temp-file removals started during commit (awaited before commit() resolves). */
  private readonly cleanup: Array<Promise<void>> = [];

  private remove(path: string | undefined): void {
    if (path) this.cleanup.push(fsp.rm(path, { force: true }).catch(() => undefined));
  }

  /** Objects added whose temp file is still being written. */
  get writesInFlight(): number {
    return this.writing.size;
  }

  /** Waits until at most `max` temp-file writes are in flight (backpressure for receivers). */
  async waitForWrites(max: number): Promise<void> {
    while (this.writing.size > max) await Promise.race(this.writing);
  }

  /** Adds an object held in memory; the outcome resolves at commit(). */
  addBuffer(buf: Buffer): Promise<IngestOutcome> {
    let analysed: Analysed;
    try {
      analysed = this.store.analyse(bufferSource(buf), (until) => (until === undefined ? buf : buf.subarray(0, until)), this.ctx);
    } catch (e) {
      return Promise.resolve(this.store.rejection(e, this.ctx));
    }
    const sha256 = createHash('sha256').update(buf).digest('hex');
    return this.enter(analysed, sha256, async () => {
      const temp = tempPath(this.store.layout, 'buf');
      try {
        await writeFileSynced(temp, buf, this.store.durable);
      } catch (e) {
        await fsp.rm(temp, { force: true });
        throw e;
      }
      return temp;
    }, undefined, buf);
  }

  /** Adds a file the caller wrote (the batch takes ownership of it); the outcome resolves at commit(). */
  addFile(path: string): Promise<IngestOutcome> {
    // Analysis is asynchronous here; commit() waits until the object has entered the batch (not for its outcome).
    let entered!: () => void;
    this.settled.push(new Promise<void>((r) => (entered = r)));
    return (async (): Promise<IngestOutcome> => {
      let analysed: Analysed;
      let sha256: string;
      try {
        const size = (await fsp.stat(path)).size;
        if (size <= this.store.inMemoryLimit) {
          const buf = await fsp.readFile(path);
          analysed = this.store.analyse(bufferSource(buf), (until) => (until === undefined ? buf : buf.subarray(0, until)), this.ctx);
          sha256 = createHash('sha256').update(buf).digest('hex');
        } else {
          const src = fileSource(path);
          try {
            analysed = this.store.analyse(src, (until) => Buffer.from(src.bytes(0, until ?? src.size)), this.ctx);
          } finally {
            src.close();
          }
          sha256 = await hashFile(path);
        }
      } catch (e) {
        entered();
        await fsp.rm(path, { force: true });
        return this.store.rejection(e, this.ctx);
      }
      const outcome = this.enter(analysed, sha256, async () => {
        if (this.store.durable) await fsyncFile(path);
        return path;
      }, path, path);
      entered();
      return outcome;
    })();
  }

  private enter(analysed: Analysed, sha256: string, write: () => Promise<string>, ownedFile: string | undefined, object: P10Object): Promise<IngestOutcome> {
    if (this.committed) throw new Error('batch already committed');
    const sop = analysed.fields.instance.sopInstanceUid;
    const base = outcomeOf(analysed, sha256);
    // Already stored with these very bytes: answered now (durable already), nothing written. Other bytes under a
    // stored UID: compared below (keep-first), or written like a new object and compared at commit (settleResend).
    const existing = this.store.index.identity(sop);
    if (existing?.sha256 === sha256) {
      this.remove(ownedFile);
      return Promise.resolve(this.identical(base, 'same file bytes'));
    }
    // keep-first never changes the stored copy: compare right away, with no temp file and no claim (a re-routed
    // study from another AE costs a comparison, not a write + fsync per instance).
    if (existing && this.store.duplicatePolicy === 'keep-first') {
      const outcome = this.keepFirstResend(base, object, ownedFile);
      this.settled.push(outcome);
      return outcome;
    }
    // Twice in this batch: follow the first.
    const first = this.bySop.get(sop);
    if (first) {
      return new Promise((resolve) => {
        first.followers.push({ sha256, temp: ownedFile, resolve });
      });
    }
    let resolve!: (o: IngestOutcome) => void;
    const outcome = new Promise<IngestOutcome>((r) => (resolve = r));
    const entry: Entry = { analysed, sha256, resolve, followers: [], receivedAt: Date.now(), written: Promise.resolve() };
    const written: Promise<void> = write().then(
      (temp) => {
        entry.temp = temp;
        this.writing.delete(written);
      },
      (e: unknown) => {
        entry.writeError = e;
        this.writing.delete(written);
      },
    );
    entry.written = written;
    this.writing.add(written);
    this.entries.push(entry);
    this.bySop.set(sop, entry);
    return outcome;
  }

  /** keep-first: compares a re-sent object with the stored copy; the batch owns `ownedFile` and removes it. */
  private async keepFirstResend(base: IngestOutcome, object: P10Object, ownedFile: string | undefined): Promise<IngestOutcome> {
    try {
      const stored = this.store.index.getInstance(base.sopInstanceUid!);
      if (!stored) return { ...base, status: 'rejected', reason: 'out-of-resources', message: 'the stored copy was deleted meanwhile; send the instance again' };
      const cmp = await compareDataSets(object, stored.path, this.store.inMemoryLimit).catch((e: unknown) => ({ same: false, detail: `could not compare: ${(e as Error).message}` }));
      return cmp.same ? this.identical(base, cmp.detail) : this.keptFirst(base, cmp.detail);
    } finally {
      if (ownedFile) await fsp.rm(ownedFile, { force: true }).catch(() => undefined);
    }
  }

  /** Who sent this copy, for the audit lines of resends. */
  private get sender(): Record<string, unknown> {
    return { source: this.ctx.source, callingAeTitle: this.ctx.callingAeTitle, remoteAddress: this.ctx.remoteAddress };
  }

  /** The same data set again: success, and the extra source goes into the log (the audit trail). */
  private identical(base: IngestOutcome, how: string): IngestOutcome {
    this.store.log.info(`instance received again: ${how}; the stored copy stands`, { sopInstanceUid: base.sopInstanceUid, ...this.sender });
    return { ...base, status: 'duplicate' };
  }

  /** keep-first: a different data set under a stored UID is acknowledged with a warning and not kept. */
  private keptFirst(base: IngestOutcome, detail: string): IngestOutcome {
    const conflict = `SOP Instance already stored with a different data set (${detail}); the first copy is kept (node.duplicatePolicy keep-first)`;
    this.store.log.warn('instance received again with different content: stored copy kept', { sopInstanceUid: base.sopInstanceUid, detail, ...this.sender });
    return { ...base, status: 'duplicate', conflict };
  }

  /** Makes every added object durable and indexed (or rejected); resolves when all outcomes are final. */
  async commit(): Promise<void> {
    if (this.committed) return;
    const done = this.run();
    this.store.committing.add(done);
    try {
      await done;
    } finally {
      this.store.committing.delete(done);
    }
  }

  private async run(): Promise<void> {
    // addFile() analyses asynchronously, and keep-first re-sends are compared asynchronously: wait for all of them,
    // including those added while waiting.
    for (let seen = -1; seen !== this.settled.length; ) {
      seen = this.settled.length;
      await Promise.allSettled(this.settled);
    }
    this.committed = true;
    await Promise.all(this.entries.map((e) => e.written));
    const mine: Entry[] = [];
    const resends: Entry[] = [];
    const deferred: Entry[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // Synchronous: check and claim without an await in between, so two batches never claim the same UID.
    for (const e of this.entries) {
      const sop = e.analysed.fields.instance.sopInstanceUid;
      if (e.writeError !== undefined || !e.temp) {
        this.remove(e.temp);
        this.finish(e, { ...this.store.rejection(e.writeError ?? new Error('temp file missing'), this.ctx), ...uidsOf(e) });
        continue;
      }
      if (this.store.claims.has(sop)) {
        deferred.push(e);
        continue;
      }
      this.store.claims.set(sop, released);
      (this.store.index.identity(sop) ? resends : mine).push(e);
    }
    try {
      await this.place(mine);
      for (const e of resends) await this.settleResend(e);
    } finally {
      for (const e of [...mine, ...resends]) this.store.claims.delete(e.analysed.fields.instance.sopInstanceUid);
      release();
    }
    for (const e of deferred) await this.settleDeferred(e);
    await Promise.all(this.cleanup);
  }

  /**
   * Renames the claimed objects into place and indexes them together. `replacing`: the stored copy the single
   * entry replaces (its row is replaced in the same transaction; its file is overwritten, or removed afterwards
   * when the new copy names another study or series).
   */
  private async place(entries: Entry[], replacing?: InstanceRecord): Promise<void> {
    if (!entries.length) return;
    const refuse = (e: Entry, message: string): void => {
      this.remove(e.temp);
      this.finish(e, { ...outcomeOf(e.analysed, e.sha256), status: 'rejected', reason: 'out-of-resources', message });
    };
    if (this.store.isClosed) {
      for (const e of entries) refuse(e, 'the store is shutting down');
      return;
    }
    const disk = await this.store.disk.check().catch(() => undefined); // statfs failing is no reason to refuse
    if (disk && !disk.accepting) {
      this.store.log.error('instances refused: disk nearly full', { ...diskSpaceMb(disk), refused: entries.length });
      for (const e of entries) refuse(e, lowDiskMessage(disk));
      return;
    }
    // A study deletion that starts after this check waits for this commit (it is in store.committing); one that
    // started before it is refused here.
    const deleting = entries.filter((e) => this.store.isPurging(e.analysed.fields.study.studyInstanceUid));
    for (const e of deleting) refuse(e, 'the study is being deleted from the node right now; send it again in a moment');
    entries = entries.filter((e) => !deleting.includes(e));
    const dirs = new Set<string>();
    const placed: Array<{ e: Entry; finalPath: string }> = [];
    await Promise.all(
      entries.map(async (e) => {
        const f = e.analysed.fields;
        const finalPath = instancePath(this.store.layout, f.study.studyInstanceUid, f.series.seriesInstanceUid, f.instance.sopInstanceUid);
        try {
          for (const d of await this.store.ensureSeriesDir(f.study.studyInstanceUid, f.series.seriesInstanceUid)) dirs.add(d);
          await fsp.rename(e.temp!, finalPath);
          placed.push({ e, finalPath });
        } catch (err) {
          await fsp.rm(e.temp!, { force: true });
          this.finish(e, { ...this.store.rejection(err, this.ctx), ...uidsOf(e) });
        }
      }),
    );
    const rows = placed.map(({ e, finalPath }) => ({ ...this.store.indexRow(e.analysed, e.sha256, this.ctx, this.ctx.source, e.receivedAt, finalPath), replace: replacing !== undefined }));
    try {
      await this.store.enqueueIndex(rows, [...dirs]);
    } catch (err) {
      // Not indexed, so never acknowledged: remove the files (recovery would otherwise index them).
      await Promise.all(placed.map(({ finalPath }) => fsp.rm(finalPath, { force: true })));
      for (const { e } of placed) this.finish(e, { ...this.store.rejection(err, this.ctx), ...uidsOf(e) });
      return;
    }
    for (const { finalPath } of placed) if (replacing && replacing.path !== finalPath) this.remove(replacing.path);
    for (const { e } of placed) {
      const f = e.analysed.fields;
      // For a replaced copy too: the study tracker then opens a new generation, so the study is processed again.
      this.store.emitStored({
        sopInstanceUid: f.instance.sopInstanceUid,
        sopClassUid: f.instance.sopClassUid,
        seriesInstanceUid: f.series.seriesInstanceUid,
        studyInstanceUid: f.study.studyInstanceUid,
        source: this.ctx.source,
        receivedAt: e.receivedAt,
      });
      this.finish(e, { ...outcomeOf(e.analysed, e.sha256), ...(replacing ? { replaced: true } : {}) });
    }
  }

  /** The UID was being committed by another batch: wait for it, then compare (or store ours if it failed). */
  private async settleDeferred(e: Entry): Promise<void> {
    const sop = e.analysed.fields.instance.sopInstanceUid;
    for (let c = this.store.claims.get(sop); c; c = this.store.claims.get(sop)) await c;
    let release!: () => void;
    this.store.claims.set(sop, new Promise<void>((r) => (release = r)));
    try {
      if (this.store.index.identity(sop)) await this.settleResend(e);
      else await this.place([e]);
    } finally {
      this.store.claims.delete(sop);
      release();
    }
  }

  /**
   * The UID is stored already (and claimed by this batch): compare the data sets, then answer duplicate, keep the
   * first with a warning, or replace, per node.duplicatePolicy.
   */
  private async settleResend(e: Entry): Promise<void> {
    const sop = e.analysed.fields.instance.sopInstanceUid;
    const stored = this.store.index.getInstance(sop)!;
    const base = outcomeOf(e.analysed, e.sha256);
    if (stored.sha256 === e.sha256) {
      this.remove(e.temp);
      return this.finish(e, this.identical(base, 'same file bytes'));
    }
    let cmp: { same: boolean; detail: string };
    try {
      cmp = await compareDataSets(e.temp!, stored.path, this.store.inMemoryLimit);
    } catch (err) {
      cmp = { same: false, detail: `could not compare: ${(err as Error).message}` };
    }
    if (cmp.same) {
      this.remove(e.temp);
      return this.finish(e, this.identical(base, cmp.detail));
    }
    if (this.store.duplicatePolicy === 'keep-first') {
      this.remove(e.temp);
      return this.finish(e, this.keptFirst(base, cmp.detail));
    }
    this.store.log.warn('instance received again with different content: replacing the stored copy (node.duplicatePolicy replace)', { sopInstanceUid: sop, detail: cmp.detail, ...this.sender });
    await this.place([e], stored);
  }

  /** Resolves an entry and the later copies of the same UID in this batch. */
  private finish(e: Entry, outcome: IngestOutcome): void {
    e.resolve(outcome);
    for (const f of e.followers) {
      this.remove(f.temp);
      if (outcome.status === 'rejected') f.resolve(outcome);
      else if (f.sha256 === e.sha256) f.resolve({ ...outcome, status: 'duplicate', replaced: undefined });
      else f.resolve(this.keptFirst({ ...outcome, sha256: f.sha256, replaced: undefined }, 'another copy in the same request came first'));
    }
  }
}

function uidsOf(e: Entry): Partial<IngestOutcome> {
  const { status: _s, ...rest } = outcomeOf(e.analysed, e.sha256);
  return rest;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

