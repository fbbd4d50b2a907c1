/**
 * Fuzz run against a real node (issue 11 item 9): 320 mutants of 4 base files (Explicit VR LE, JPEG Lossless SV1,
 * Enhanced MR multi-frame, Implicit VR LE), each sent by STOW-RS and by C-STORE. Mutations are seeded (the run is
 * the same every time): byte flips, length fields set to huge or random values, VR bytes garbled, chunks inserted,
 * deleted or duplicated, and cuts, mostly in the header where the parsers work. The node must answer every one
 * (no 5xx, no processing failure 0x0110 / FailureReason 0x0110, no unanswered C-STORE), stay up, and finish in
 * bounded time. C-STORE goes through a raw association (helpers/raw-association.ts) that sends the mutated data set
 * bytes as they are: an SCU library would parse or re-encode them first.
 */
import { TransferSyntax as TS } from '../../src/dicom/constants';
import { writeSeries, type SeriesWriterOptions } from '../../src/dicom/series-writer';
import { splitP10 } from '../../src/dimse-bridge/p10-split';
import { bufferSource } from '../../src/dicom/byte-source';
import { checkP10Structure } from '../../src/store/p10-structure';
import { runTool } from '../helpers/dcmtk';
import { multipartRelated } from '../helpers/stow';
import { AXIAL, ch2Series } from '../imaging/helpers/ch2-series';
import { startTestNode, type TestNode } from '../web/node-fixture';
import { captureLogs, type LogCapture } from './helpers/log-capture';
import { storeRaw } from './helpers/raw-association';

const MUTANTS_PER_BASE = 80;
const BATCH = 20;

let node: TestNode;
let logs: LogCapture;

beforeAll(async () => {
  node = await startTestNode({ dimse: { enabled: true, port: 0, allowedCallingAeTitles: ['FUZZ'] } });
  logs = captureLogs();
  // dcmjs (the header fallback for unusual encodings) prints a line per oddity it reads around; the node's own
  // answers are what this test checks.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterAll(async () => {
  jest.restoreAllMocks();
  logs.stop();
  await node.destroy();
});

/** mulberry32: a small seeded PRNG, so every run sends the same mutants. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function bases(): Promise<Array<{ name: string; bytes: Buffer }>> {
  const vol = ch2Series({ ...AXIAL, spacing: [4, 4, 5], dims: [24, 24, 3], offset: -10 });
  const one = async (name: string, opts: Partial<SeriesWriterOptions>): Promise<{ name: string; bytes: Buffer }> => ({
    name,
    bytes: (await writeSeries(vol, { PatientName: 'FUZZ^BASE' }, { seed: `fuzz-${name}`, ...opts })).instances[0]!.buffer,
  });
  return [
    await one('explicit-le', {}),
    await one('jpeg-lossless', { transferSyntaxUid: TS.JpegLosslessSV1 }),
    await one('enhanced-mr', { format: 'enhanced' }),
    await one('implicit-le', { transferSyntaxUid: TS.ImplicitVRLittleEndian }),
  ];
}

/** One mutant of `base`: 1-3 mutations after the File Meta Information, 80 % of them in the header. */
function mutate(base: Buffer, rnd: () => number): Buffer {
  const start = splitP10(base).datasetOffset;
  const headerEnd = (checkP10Structure(bufferSource(base)).pixelDataOffset ?? base.length - 16) + 16;
  let b = Buffer.from(base);
  const at = (): number => {
    const end = rnd() < 0.8 ? Math.min(headerEnd, b.length) : b.length;
    return start + Math.floor(rnd() * Math.max(1, end - start));
  };
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n && b.length > start + 8; i++) {
    const op = Math.floor(rnd() * 7);
    const p = at();
    if (op === 0) for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) b[Math.min(b.length - 1, p + k)]! ^= 1 + Math.floor(rnd() * 255);
    else if (op === 1 && p + 4 <= b.length) b.writeUInt32LE(rnd() < 0.5 ? 0xffffffff : Math.floor(rnd() * 0xffffffff), p);
    else if (op === 2 && p + 2 <= b.length) b.writeUInt16LE(Math.floor(rnd() * 0xffff), p);
    else if (op === 3 && p + 2 <= b.length) b.write(rnd() < 0.5 ? 'ZZ' : 'SQ', p, 'latin1');
    else if (op === 4) b = Buffer.concat([b.subarray(0, p), Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))), b.subarray(p)]);
    else if (op === 5) b = Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + 1 + Math.floor(rnd() * 64)))]);
    else b = b.subarray(0, Math.max(start + 1, p));
  }
  return b;
}

const FAILURE_CODES = new Set([0xa700, 0xa900, 0xc000, 0xc122, 0xc409, 0x0122]);

it('320 mutants of 4 base files by STOW-RS and C-STORE: every one answered, no 5xx, no processing failure, node still up', async () => {
  const t0 = Date.now();
  const rnd = prng(0x11c0ffee);
  const mutants: Buffer[] = [];
  for (const base of await bases()) for (let i = 0; i < MUTANTS_PER_BASE; i++) mutants.push(mutate(base.bytes, rnd));
  expect(mutants).toHaveLength(320);

  const httpStatuses = new Map<number, number>();
  const stowReasons = new Map<number, number>();
  for (let i = 0; i < mutants.length; i += BATCH) {
    const { body, contentType } = multipartRelated(mutants.slice(i, i + BATCH));
    const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' }, body, signal: AbortSignal.timeout(30000) });
    httpStatuses.set(r.status, (httpStatuses.get(r.status) ?? 0) + 1);
    const json = (await r.json()) as Record<string, { Value?: Array<Record<string, { Value?: number[] }>> }>;
    for (const seq of ['00081198', '0008119A']) for (const item of json[seq]?.Value ?? []) {
      const code = item['00081197']!.Value![0]!;
      stowReasons.set(code, (stowReasons.get(code) ?? 0) + 1);
    }
  }
  expect([...httpStatuses.keys()].every((s) => [200, 202, 409].includes(s))).toBe(true);
  expect([...stowReasons.keys()].every((c) => FAILURE_CODES.has(c))).toBe(true);

  const dimseStatuses = new Map<number, number>();
  for (let i = 0; i < mutants.length; i += BATCH) {
    const statuses = await storeRaw(node.dimse!.port, 'FUZZ', 'NEUROONC', mutants.slice(i, i + BATCH));
    expect(statuses).toHaveLength(BATCH); // every mutant answered: the association survived each of them
    for (const s of statuses) {
      expect(s).toBeDefined();
      dimseStatuses.set(s!, (dimseStatuses.get(s!) ?? 0) + 1);
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  console.log('fuzz run', {
    seconds,
    http: Object.fromEntries(httpStatuses),
    stowFailureReasons: Object.fromEntries([...stowReasons].map(([k, v]) => [`0x${k.toString(16)}`, v])),
    cstore: Object.fromEntries([...dimseStatuses].map(([k, v]) => [`0x${k.toString(16).padStart(4, '0')}`, v])),
  });
  expect([...dimseStatuses.keys()].every((s) => s === 0x0000 || s === 0xb000 || FAILURE_CODES.has(s))).toBe(true);

  expect(seconds).toBeLessThan(90);
  expect(logs.lines.join('')).not.toMatch(/instance ingest failed|C-STORE failed while storing|FUZZ\^BASE/);
  const health = await fetch(`${node.httpUrl}/healthz`);
  expect(health.status).toBe(200);
  const echo = await runTool('echoscu', ['-aet', 'FUZZ', '-aec', 'NEUROONC', '127.0.0.1', String(node.dimse!.port)]);
  expect(echo.code).toBe(0);
});
