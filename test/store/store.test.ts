import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { DEFAULT_ACCEPTED_SOP_CLASSES } from '../../src/config/sections/node';
import { SopClass } from '../../src/dicom/constants';
import { writeP10 } from '../../src/dicom/p10';
import { InstanceStore } from '../../src/store/store';
import type { StoredEvent } from '../../src/store/types';
import { instancePath, storeLayout, UnsafeUidError } from '../../src/store/paths';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('instance store', () => {
  let dir: string;
  let store: InstanceStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'store-'));
    store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: DEFAULT_ACCEPTED_SOP_CLASSES });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an instance at its UID path, indexes its header fields and emits one stored event', async () => {
    const [inst] = syntheticMrStudy({ seed: 'store-1', series: 1, slicesPerSeries: 1 });
    const events: StoredEvent[] = [];
    store.onStored((e) => events.push(e));
    const out = await store.ingestBuffer(inst!.bytes, { source: 'stow', remoteAddress: '127.0.0.1' });
    expect(out).toMatchObject({ status: 'stored', sopInstanceUid: inst!.sopInstanceUid, studyInstanceUid: inst!.studyInstanceUid, sha256: sha(inst!.bytes) });
    const rec = store.getInstance(inst!.sopInstanceUid)!;
    expect(rec.path).toBe(instancePath(storeLayout(dir), inst!.studyInstanceUid, inst!.seriesInstanceUid, inst!.sopInstanceUid));
    expect(sha(readFileSync(rec.path))).toBe(sha(inst!.bytes));
    expect(rec).toMatchObject({ rows: 16, columns: 16, instanceNumber: 1, imageOrientationPatient: [1, 0, 0, 0, 1, 0], source: 'stow', remoteAddress: '127.0.0.1' });
    expect(rec.imagePositionPatient).toEqual([-8, -8, 0]);
    const [series] = store.listSeries(inst!.studyInstanceUid);
    expect(series).toMatchObject({ modality: 'MR', seriesDescription: 'T1 MPRAGE', seriesNumber: 1, instanceCount: 1, manufacturer: 'SYNTHETIC' });
    const study = store.getStudy(inst!.studyInstanceUid)!;
    expect(study).toMatchObject({ patientName: 'SYNTHETIC^PATIENT', studyDescription: 'MRI BRAIN W/WO CONTRAST', modalitiesInStudy: ['MR'], instanceCount: 1 });
    const [hdr] = store.instanceHeaders({ sopInstanceUid: inst!.sopInstanceUid });
    expect(hdr!.dataset.EchoTime).toBe(3);
    expect(hdr!.dataset.ProtocolName).toBe('T1 MPRAGE');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ sopInstanceUid: inst!.sopInstanceUid, source: 'stow' });
  });

  it('a resend with the same bytes is a duplicate; a different data set under the same UID is kept out with a warning (keep-first)', async () => {
    const [inst] = syntheticMrStudy({ seed: 'store-dup', series: 1, slicesPerSeries: 1 });
    const [other] = syntheticMrStudy({ seed: 'store-dup', series: 1, slicesPerSeries: 1, patientName: 'OTHER^NAME' });
    expect((await store.ingestBuffer(inst!.bytes, { source: 'stow' })).status).toBe('stored');
    expect((await store.ingestBuffer(inst!.bytes, { source: 'dimse' })).status).toBe('duplicate');
    const conflict = await store.ingestBuffer(other!.bytes, { source: 'stow' });
    expect(conflict).toMatchObject({ status: 'duplicate', sopInstanceUid: inst!.sopInstanceUid });
    expect(conflict.conflict).toMatch(/already stored with a different data set \(element \(0010,0010\) differs\); the first copy is kept/);
    expect(sha(await store.readInstance(inst!.sopInstanceUid))).toBe(sha(inst!.bytes));
    expect(store.index.instanceCount()).toBe(1);
  });

  it('the same instance sent twice at once is stored once', async () => {
    const [inst] = syntheticMrStudy({ seed: 'store-race', series: 1, slicesPerSeries: 1 });
    const outs = await Promise.all([store.ingestBuffer(inst!.bytes, { source: 'stow' }), store.ingestBuffer(inst!.bytes, { source: 'dimse' })]);
    expect(outs.map((o) => o.status).sort()).toEqual(['duplicate', 'stored']);
    expect(store.index.instanceCount()).toBe(1);
  });

  it('concurrent batches sharing UIDs in opposite orders: each stored once, no deadlock; a different data set gets a warning', async () => {
    const [x, y] = syntheticMrStudy({ seed: 'store-batches', series: 1, slicesPerSeries: 2 });
    const [x2] = syntheticMrStudy({ seed: 'store-batches', series: 1, slicesPerSeries: 1, patientId: 'OTHER' });
    const a = store.batch({ source: 'stow' });
    const b = store.batch({ source: 'stow' });
    const c = store.batch({ source: 'dimse' });
    const outs = [a.addBuffer(x!.bytes), a.addBuffer(y!.bytes), a.addBuffer(y!.bytes), b.addBuffer(y!.bytes), b.addBuffer(x!.bytes), c.addBuffer(x2!.bytes)];
    await Promise.all([a.commit(), b.commit(), c.commit()]);
    const statuses = await Promise.all(outs);
    expect(statuses[2]!.status).toBe('duplicate'); // same UID twice in one batch
    const xs = [statuses[0]!, statuses[4]!].map((o) => o.status).sort();
    const ys = [statuses[1]!, statuses[3]!].map((o) => o.status).sort();
    expect(xs.filter((s) => s === 'stored').length + (statuses[5]!.status === 'stored' ? 1 : 0)).toBe(1);
    expect(ys).toEqual(['duplicate', 'stored']);
    // Whichever copy of x won, the other content is a conflict.
    const xWinner = sha(await store.readInstance(x!.sopInstanceUid));
    if (xWinner === sha(x!.bytes)) expect(statuses[5]!.conflict).toMatch(/different data set/);
    else expect([statuses[0]!, statuses[4]!].every((o) => o.status === 'duplicate' && o.conflict)).toBe(true);
    expect(store.index.instanceCount()).toBe(2);
    expect(readdirSync(storeLayout(dir).tmp)).toEqual([]);
  });

  it('rejects with a specific reason: not DICOM, truncated, missing UID, bad UID, SOP class, wrong study', async () => {
    const [inst] = syntheticMrStudy({ seed: 'store-bad', series: 1, slicesPerSeries: 1 });
    const bytes = inst!.bytes;
    expect(await store.ingestBuffer(Buffer.from('hello, not dicom'), { source: 'stow' })).toMatchObject({ status: 'rejected', reason: 'not-dicom' });
    const truncated = await store.ingestBuffer(bytes.subarray(0, bytes.length - 100), { source: 'stow' });
    expect(truncated).toMatchObject({ status: 'rejected', reason: 'truncated' });
    expect(truncated.message).toMatch(/\(7FE0,0010\) declares 512 bytes/);
    const noSop = writeP10({ SOPClassUID: SopClass.MRImage, StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4', Modality: 'MR' });
    expect(await store.ingestBuffer(noSop, { source: 'stow' })).toMatchObject({ status: 'rejected', reason: 'missing-uid', message: 'missing SOPInstanceUID' });
    const evil = writeP10({ SOPClassUID: SopClass.MRImage, SOPInstanceUID: '../../etc/passwd', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4' });
    expect(await store.ingestBuffer(evil, { source: 'stow' })).toMatchObject({ status: 'rejected', reason: 'invalid-uid' });
    const ct = writeP10({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.9', StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4' });
    expect(await store.ingestBuffer(ct, { source: 'stow' })).toMatchObject({ status: 'rejected', reason: 'sop-class-not-accepted', sopInstanceUid: '1.2.3.9' });
    expect(await store.ingestBuffer(bytes, { source: 'stow', expectedStudyUid: '1.2.999' })).toMatchObject({ status: 'rejected', reason: 'study-mismatch' });
    expect(store.index.instanceCount()).toBe(0);
    expect(readdirSync(storeLayout(dir).tmp)).toEqual([]);
  });

  it('ingestFile takes ownership: moves a good file in, deletes a rejected one', async () => {
    const [a, b] = syntheticMrStudy({ seed: 'store-file', series: 1, slicesPerSeries: 2 });
    const p1 = store.createTempPath();
    writeFileSync(p1, a!.bytes);
    expect((await store.ingestFile(p1, { source: 'dimse', callingAeTitle: 'MRI1' })).status).toBe('stored');
    expect(existsSync(p1)).toBe(false);
    expect(store.getInstance(a!.sopInstanceUid)!.callingAeTitle).toBe('MRI1');
    const p2 = store.createTempPath();
    writeFileSync(p2, b!.bytes.subarray(0, 300));
    expect((await store.ingestFile(p2, { source: 'dimse' })).reason).toBe('truncated');
    expect(existsSync(p2)).toBe(false);
  });

  it('large files are checked by positioned reads, truncation included', async () => {
    await store.close();
    store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'], inMemoryLimitBytes: 1024 });
    const [a] = syntheticMrStudy({ seed: 'store-large', series: 1, slicesPerSeries: 1, rows: 64, columns: 64 });
    const p1 = store.createTempPath();
    writeFileSync(p1, a!.bytes.subarray(0, a!.bytes.length - 1));
    expect((await store.ingestFile(p1, { source: 'dimse' })).reason).toBe('truncated');
    const p2 = store.createTempPath();
    writeFileSync(p2, a!.bytes);
    const out = await store.ingestFile(p2, { source: 'dimse' });
    expect(out).toMatchObject({ status: 'stored', sha256: sha(a!.bytes) });
    expect(store.getInstance(a!.sopInstanceUid)!.rows).toBe(64);
  });

  it('durableWrites=false still stores whole files (no fsync, same protocol)', async () => {
    await store.close();
    store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'], durableWrites: false });
    const [a] = syntheticMrStudy({ seed: 'store-nofsync', series: 1, slicesPerSeries: 1 });
    expect((await store.ingestBuffer(a!.bytes, { source: 'stow' })).status).toBe('stored');
    expect(sha(await store.readInstance(a!.sopInstanceUid))).toBe(sha(a!.bytes));
    expect(store.durable).toBe(false);
  });

  it('paths refuse anything that is not a UID', () => {
    expect(() => instancePath(storeLayout(dir), '1.2', '1.3', '..')).toThrow(UnsafeUidError);
    expect(() => instancePath(storeLayout(dir), '1.2/../../x', '1.3', '1.4')).toThrow(UnsafeUidError);
  });
});
