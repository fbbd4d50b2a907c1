/**
 * The malformed-input corpus: hand-made bad data sets, each with the answer the node must give,
 * sent in ONE association by C-STORE (the association must survive every one of them) and as parts of ONE STOW-RS
 * request. The C-STORE status and the STOW FailureReason come from the same table (src/store/reasons.ts).
 */
import { writeP10 } from '../../src/dicom/p10';
import { SopClass, TransferSyntax } from '../../src/dicom/constants';
import { buildFileMetaHeader } from '../../src/dimse-bridge/file-meta';
import { bufferSource } from '../../src/dicom/byte-source';
import { checkP10Structure } from '../../src/store/p10-structure';
import { multipartRelated } from '../helpers/stow';
import { startTestNode, type TestNode } from '../web/node-fixture';
import { storeRaw } from './helpers/raw-association';

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode({ dimse: { enabled: true, port: 0, allowedCallingAeTitles: ['CORPUS'] } });
});

afterAll(async () => {
  await node.destroy();
});

const ROOT = '1.2.826.0.1.3680043.10.997';

/** One explicit VR little endian element (long form for OB/OW/SQ/UT/UN). */
function el(group: number, element: number, vr: string, value: Buffer, length = value.length): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UT', 'UN'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(length >>> 0, 8);
  else h.writeUInt16LE(length, 6);
  return Buffer.concat([h, value]);
}

/** The data set bytes of a small MR image; `over` changes or (undefined) removes attributes. */
function mr(n: number, over: Record<string, unknown> = {}): Buffer {
  const attrs: Record<string, unknown> = {
    SOPClassUID: SopClass.MRImage,
    SOPInstanceUID: `${ROOT}.${n}`,
    StudyInstanceUID: `${ROOT}.100`,
    SeriesInstanceUID: `${ROOT}.101`,
    Modality: 'MR',
    Rows: 8,
    Columns: 8,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    PixelData: new Uint16Array(64).buffer,
    ...over,
  };
  for (const k of Object.keys(attrs)) if (attrs[k] === undefined) delete attrs[k];
  const p10 = writeP10(attrs);
  return p10.subarray(checkP10Structure(bufferSource(p10)).datasetOffset);
}

/** Part 10 bytes: our File Meta Information (naming `sop`, MR Image Storage) in front of `dataset`. */
function p10(sop: string, dataset: Buffer): Buffer {
  return Buffer.concat([buildFileMetaHeader({ sopClassUid: SopClass.MRImage, sopInstanceUid: sop, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian }), dataset]);
}

interface Case {
  name: string;
  /** SOP Instance UID in the command / File Meta Information. */
  sop: string;
  dataset: Buffer;
  /** C-STORE status and STOW FailureReason (0 = stored). */
  status: number;
  /** The reason the STOW explanation names ('' when stored). */
  reason: string;
}

function corpus(): Case[] {
  const ok = mr(1);
  const nest = (depth: number): Buffer => (depth === 0 ? el(0x0008, 0x0100, 'SH', Buffer.from('CODE')) : el(0x0008, 0x1140, 'SQ', Buffer.concat([itemOf(nest(depth - 1))])));
  const itemOf = (body: Buffer): Buffer => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0xfffe, 0);
    h.writeUInt16LE(0xe000, 2);
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  const uid = (n: number): string => `${ROOT}.${n}`;
  return [
    { name: 'well-formed (control)', sop: uid(1), dataset: ok, status: 0x0000, reason: '' },
    { name: 'cut inside an element header', sop: uid(2), dataset: mr(2).subarray(0, 30), status: 0xc000, reason: 'truncated' },
    { name: 'element length runs past the end', sop: uid(3), dataset: Buffer.concat([mr(3, { PixelData: undefined, Rows: undefined, Columns: undefined }), el(0x0009, 0x1010, 'UT', Buffer.from('ten bytes.'), 1000)]), status: 0xc000, reason: 'truncated' },
    { name: 'undefined length on a text element', sop: uid(4), dataset: Buffer.concat([mr(4, { PixelData: undefined, Rows: undefined, Columns: undefined }), el(0x0009, 0x1010, 'UT', Buffer.from('x'), 0xffffffff)]), status: 0xc000, reason: 'invalid' },
    { name: 'no valid VR', sop: uid(5), dataset: Buffer.concat([mr(5, { PixelData: undefined, Rows: undefined, Columns: undefined }), el(0x0009, 0x1010, 'x?', Buffer.from('ab'))]), status: 0xc000, reason: 'invalid' },
    { name: 'item tag outside a sequence', sop: uid(6), dataset: Buffer.concat([mr(6, { PixelData: undefined, Rows: undefined, Columns: undefined }), itemOf(Buffer.alloc(0))]), status: 0xc000, reason: 'invalid' },
    { name: 'sequences nested 40 deep', sop: uid(7), dataset: Buffer.concat([nest(40), mr(7, { PixelData: undefined, Rows: undefined, Columns: undefined })]), status: 0xc000, reason: 'invalid' },
    { name: 'bytes after the last element', sop: uid(8), dataset: Buffer.concat([mr(8), Buffer.from('GARBAGE!GARBAGE!')]), status: 0xc000, reason: '' },
    { name: 'empty data set', sop: uid(9), dataset: Buffer.alloc(0), status: 0xa900, reason: 'missing-uid' },
    { name: 'no SOP Instance UID', sop: uid(10), dataset: mr(10, { SOPInstanceUID: undefined }), status: 0xa900, reason: 'missing-uid' },
    { name: 'a SOP Instance UID that is a path', sop: '1.2.3.4', dataset: mr(11, { SOPInstanceUID: '../../etc/passwd' }), status: 0xa900, reason: 'invalid-uid' },
    { name: 'Rows and Columns without Pixel Data', sop: uid(12), dataset: mr(12, { PixelData: undefined }), status: 0xa900, reason: 'missing-pixel-data' },
    { name: 'Pixel Data shorter than the image', sop: uid(13), dataset: mr(13, { Rows: 16 }), status: 0xa900, reason: 'short-pixel-data' },
    { name: 'multi-frame Pixel Data shorter than its frames', sop: uid(14), dataset: mr(14, { NumberOfFrames: '3' }), status: 0xa900, reason: 'short-pixel-data' },
    { name: 'data set names another instance than the command / meta', sop: uid(15), dataset: mr(16), status: 0xa900, reason: 'meta-mismatch' },
    { name: 'a CT data set sent as MR Image Storage', sop: uid(17), dataset: mr(17, { SOPClassUID: '1.2.840.10008.5.1.4.1.1.2' }), status: 0xa900, reason: 'meta-mismatch' },
  ];
}

it('C-STORE: each malformed data set gets its status in one association that survives them all', async () => {
  const cases = corpus();
  const statuses = await storeRaw(node.dimse!.port, 'CORPUS', 'NEUROONC', cases.map((c) => p10(c.sop, c.dataset)));
  const got = cases.map((c, i) => `${c.name}: 0x${(statuses[i] ?? -1).toString(16)}`);
  expect(got).toEqual(cases.map((c) => `${c.name}: 0x${c.status.toString(16)}`));
  expect(node.store.getInstance(`${ROOT}.1`)).toBeDefined();
});

it('STOW-RS: the same corpus in one request gets 202 and per-part FailureReasons with the same codes', async () => {
  const cases = corpus();
  const { body, contentType } = multipartRelated(cases.map((c) => p10(c.sop, c.dataset)));
  const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
  expect(r.status).toBe(202);
  const json = (await r.json()) as Record<string, { Value?: Array<Record<string, { Value?: Array<number | string> }>> }>;
  const byPart = new Map<number, { code: number; text: string }>();
  for (const seq of ['00081198', '0008119A']) {
    for (const item of json[seq]?.Value ?? []) {
      const text = String(item['00091001']!.Value![0]);
      byPart.set(Number(/^part (\d+):/.exec(text)![1]), { code: Number(item['00081197']!.Value![0]), text });
    }
  }
  cases.forEach((c, i) => {
    const f = byPart.get(i + 1);
    if (c.status === 0) expect(f).toBeUndefined();
    else {
      expect(`${c.name}: 0x${f?.code.toString(16)}`).toBe(`${c.name}: 0x${c.status.toString(16)}`);
      if (c.reason) expect(f!.text).toContain(`: ${c.reason}: `);
    }
  });
});
