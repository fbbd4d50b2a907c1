/**
 * Duplicate detection on the data set, not on file bytes, and the refusal of native Pixel Data
 * shorter than the image needs (item 6), against the real store. Re-encodings are made with real DCMTK tools
 * (dcmconv to implicit VR, dcmcjpeg to JPEG lossless), as a PACS that re-routes a study would send them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticMrStudy, type SyntheticInstance } from '../../src/testing/synthetic-mr';
import { DEFAULT_ACCEPTED_SOP_CLASSES } from '../../src/config/sections/node';
import { SopClass } from '../../src/dicom/constants';
import { writeP10 } from '../../src/dicom/p10';
import { buildFileMetaHeader } from '../../src/dimse-bridge/file-meta';
import { splitP10 } from '../../src/dimse-bridge/p10-split';
import { InstanceStore } from '../../src/store/store';
import { storeLayout } from '../../src/store/paths';
import { expectedPixelDataBytes, shortPixelDataMessage } from '../../src/dicom/pixel-length';
import { cStoreStatus, stowFailureReason } from '../../src/store/reasons';
import type { StoredEvent } from '../../src/store/types';
import { runTool } from '../helpers/dcmtk';
import { captureLogs, type LogCapture } from '../dimse-bridge/helpers/log-capture';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let dir: string;
let store: InstanceStore;
let logs: LogCapture;

async function openStore(policy: 'keep-first' | 'replace'): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'store-dup-'));
  store = await InstanceStore.open({ dataDir: join(dir, 'var'), acceptedSopClasses: DEFAULT_ACCEPTED_SOP_CLASSES, duplicatePolicy: policy });
}

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  logs.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The same data set behind another preamble and File Meta Information (another implementation, source AE). */
function rewrapped(bytes: Buffer): Buffer {
  const p = splitP10(bytes);
  const head = buildFileMetaHeader({ sopClassUid: p.sopClassUid, sopInstanceUid: p.sopInstanceUid, transferSyntaxUid: p.transferSyntaxUid, sourceAeTitle: 'OTHERPACS' });
  head.fill(0x41, 0, 128); // a non-zero preamble
  return Buffer.concat([head, bytes.subarray(p.datasetOffset)]);
}

/** The instance re-encoded by a DCMTK tool (e.g. dcmconv +ti, dcmcjpeg +e1). */
async function reencoded(inst: SyntheticInstance, tool: string, args: string[]): Promise<Buffer> {
  const src = join(dir, `${inst.sopInstanceUid}.src.dcm`);
  const out = join(dir, `${inst.sopInstanceUid}.${tool}.dcm`);
  writeFileSync(src, inst.bytes);
  const r = await runTool(tool, [...args, src, out]);
  if (r.code !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  return readFileSync(out);
}

const logText = (): string => logs.lines.join('');

describe('keep-first (default)', () => {
  beforeEach(() => openStore('keep-first'));

  it('the same data set with another preamble and File Meta Information is a duplicate; the log names the second sender', async () => {
    const [inst] = syntheticMrStudy({ seed: 'dup-meta', series: 1, slicesPerSeries: 1 });
    expect((await store.ingestBuffer(inst!.bytes, { source: 'dimse', callingAeTitle: 'MRI1' })).status).toBe('stored');
    const again = rewrapped(inst!.bytes);
    expect(sha(again)).not.toBe(sha(inst!.bytes));
    const out = await store.ingestBuffer(again, { source: 'dimse', callingAeTitle: 'MRI2', remoteAddress: '10.0.0.2' });
    expect(out).toMatchObject({ status: 'duplicate', sopInstanceUid: inst!.sopInstanceUid });
    expect(out.conflict).toBeUndefined();
    const line = logs.lines.find((l) => l.includes('instance received again'))!;
    expect(JSON.parse(line)).toMatchObject({
      message: 'instance received again: same data set bytes (only the preamble or File Meta Information differ); the stored copy stands',
      callingAeTitle: 'MRI2',
      remoteAddress: '10.0.0.2',
      source: 'dimse',
    });
    expect(sha(await store.readInstance(inst!.sopInstanceUid))).toBe(sha(inst!.bytes));
    expect(readdirSync(storeLayout(join(dir, 'var')).tmp)).toEqual([]);
  });

  it('the same data set in implicit VR, or JPEG lossless, is a duplicate (decoded comparison)', async () => {
    const [a, b] = syntheticMrStudy({ seed: 'dup-ts', series: 1, slicesPerSeries: 2 });
    expect((await store.ingestBuffer(a!.bytes, { source: 'stow' })).status).toBe('stored');
    expect((await store.ingestBuffer(b!.bytes, { source: 'stow' })).status).toBe('stored');
    const implicit = await reencoded(a!, 'dcmconv', ['+ti']);
    expect(splitP10(implicit).transferSyntaxUid).toBe('1.2.840.10008.1.2');
    const jpeg = await reencoded(b!, 'dcmcjpeg', ['+e1']);
    expect(splitP10(jpeg).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.70');
    const o1 = await store.ingestBuffer(implicit, { source: 'dimse', callingAeTitle: 'PACS' });
    const o2 = await store.ingestBuffer(jpeg, { source: 'dimse', callingAeTitle: 'PACS' });
    expect(o1).toMatchObject({ status: 'duplicate' });
    expect(o2).toMatchObject({ status: 'duplicate' });
    expect(o1.conflict).toBeUndefined();
    expect(o2.conflict).toBeUndefined();
    expect(logText()).toMatch(/same data set decoded \(1\.2\.840\.10008\.1\.2 and 1\.2\.840\.10008\.1\.2\.1\)/);
    expect(logText()).toMatch(/same data set decoded \(1\.2\.840\.10008\.1\.2\.4\.70 and 1\.2\.840\.10008\.1\.2\.1\)/);
  });

  it('a different data set under a stored UID: the first copy stays, the outcome carries the warning and names what differs', async () => {
    const [inst] = syntheticMrStudy({ seed: 'dup-diff', series: 1, slicesPerSeries: 1 });
    const [other] = syntheticMrStudy({ seed: 'dup-diff', series: 1, slicesPerSeries: 1, patientId: 'OTHER-ID' });
    await store.ingestBuffer(inst!.bytes, { source: 'stow' });
    const events: StoredEvent[] = [];
    store.onStored((e) => events.push(e));
    const out = await store.ingestBuffer(rewrapped(other!.bytes), { source: 'dimse', callingAeTitle: 'MRI2' });
    expect(out.status).toBe('duplicate');
    expect(out.conflict).toMatch(/already stored with a different data set \(element \(0010,0020\) differs\); the first copy is kept \(node.duplicatePolicy keep-first\)/);
    expect(sha(await store.readInstance(inst!.sopInstanceUid))).toBe(sha(inst!.bytes));
    expect(events).toHaveLength(0);
    expect(logText()).not.toMatch(/OTHER-ID|SYNTHETIC\^/); // no patient data in the log
  });

  it('different pixel values in another transfer syntax are a different data set', async () => {
    const [inst] = syntheticMrStudy({ seed: 'dup-pix', series: 1, slicesPerSeries: 1 });
    await store.ingestBuffer(inst!.bytes, { source: 'stow' });
    const changed = Buffer.from(inst!.bytes);
    changed[changed.length - 2] = changed[changed.length - 2]! ^ 0xff; // one pixel
    const implicit = await reencoded({ ...inst!, bytes: changed }, 'dcmconv', ['+ti']);
    const out = await store.ingestBuffer(implicit, { source: 'stow' });
    expect(out.conflict).toMatch(/pixel values of frame 1 differ/);
  });
});

describe('replace', () => {
  beforeEach(() => openStore('replace'));

  it('stores the new data set over the old one and emits a stored event (the study is processed again)', async () => {
    const [inst] = syntheticMrStudy({ seed: 'dup-replace', series: 1, slicesPerSeries: 1 });
    const [other] = syntheticMrStudy({ seed: 'dup-replace', series: 1, slicesPerSeries: 1, patientId: 'OTHER-ID' });
    await store.ingestBuffer(inst!.bytes, { source: 'stow' });
    const events: StoredEvent[] = [];
    store.onStored((e) => events.push(e));
    const out = await store.ingestBuffer(other!.bytes, { source: 'dimse', callingAeTitle: 'MRI2' });
    expect(out).toMatchObject({ status: 'stored', replaced: true });
    expect(sha(await store.readInstance(inst!.sopInstanceUid))).toBe(sha(other!.bytes));
    expect(store.getInstance(inst!.sopInstanceUid)).toMatchObject({ sha256: sha(other!.bytes), callingAeTitle: 'MRI2' });
    expect(store.index.instanceCount()).toBe(1);
    expect(events).toEqual([expect.objectContaining({ sopInstanceUid: inst!.sopInstanceUid, source: 'dimse' })]);
    // The same data set again is still a plain duplicate, never a replacement.
    expect(await store.ingestBuffer(rewrapped(other!.bytes), { source: 'stow' })).toMatchObject({ status: 'duplicate' });
    expect(events).toHaveLength(1);
  });
});

describe('short Pixel Data', () => {
  beforeEach(() => openStore('keep-first'));

  /** A 16x16 16-bit MR image whose header claims `rows` rows. */
  function mr(rows: number, extra: Record<string, unknown> = {}): Buffer {
    return writeP10({
      SOPClassUID: SopClass.MRImage,
      SOPInstanceUID: `1.2.826.0.1.3680043.10.999.${rows}.${Object.keys(extra).length}`,
      StudyInstanceUID: '1.2.826.0.1.3680043.10.999.1',
      SeriesInstanceUID: '1.2.826.0.1.3680043.10.999.2',
      Modality: 'MR',
      Rows: rows,
      Columns: 16,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      PixelData: new Uint16Array(16 * 16).buffer,
      ...extra,
    });
  }

  it('is refused at receipt with a reason that names the sizes (STOW 0xA900, C-STORE 0xA900)', async () => {
    expect((await store.ingestBuffer(mr(16), { source: 'stow' })).status).toBe('stored');
    const out = await store.ingestBuffer(mr(32), { source: 'stow' });
    expect(out).toMatchObject({ status: 'rejected', reason: 'short-pixel-data', sopInstanceUid: '1.2.826.0.1.3680043.10.999.32.0' });
    expect(out.message).toBe('Pixel Data holds 512 bytes, fewer than the 1024 that Rows 32 × Columns 16 × SamplesPerPixel 1 × BitsAllocated 16 × NumberOfFrames 1 need');
    expect(stowFailureReason('short-pixel-data')).toBe(0xa900);
    expect(cStoreStatus('short-pixel-data')).toBe(0xa900);
    const frames = await store.ingestBuffer(mr(16, { NumberOfFrames: '2' }), { source: 'stow' });
    expect(frames).toMatchObject({ status: 'rejected', reason: 'short-pixel-data' });
  });

  it('counts packed 1-bit, YBR_FULL_422 and multi-frame sizes right', () => {
    expect(expectedPixelDataBytes({ rows: 10, columns: 10, bitsAllocated: 1, numberOfFrames: 3 })).toBe(38); // 300 bits
    expect(expectedPixelDataBytes({ rows: 4, columns: 4, bitsAllocated: 8, samplesPerPixel: 3, photometricInterpretation: 'YBR_FULL_422' })).toBe(32);
    expect(expectedPixelDataBytes({ rows: 4, columns: 4, bitsAllocated: 16, numberOfFrames: 5 })).toBe(160);
    expect(expectedPixelDataBytes({ rows: 4, bitsAllocated: 16 })).toBeUndefined();
    expect(shortPixelDataMessage({ rows: 4, columns: 4, bitsAllocated: 16 }, 33)).toBeUndefined(); // padding is fine
  });
});
