/**
 * Fuzz run against a real node: 320 mutants of 4 base files (Explicit VR LE, JPEG Lossless SV1,
 * Enhanced MR multi-frame, Implicit VR LE), each sent by STOW-RS and by C-STORE. Mutations are seeded (the run is
 * the same every time): byte flips, length fields set to huge or random values, VR bytes garbled, chunks inserted,
 * deleted or duplicated, and cuts, mostly in the header where the parsers work. The node must answer every one
 * (no 5xx, no processing failure 0x0110 / FailureReason 0x0110, no unanswered C-STORE), stay up, and finish in
 * bounded time. C-STORE goes through a raw association (helpers/raw-association.ts) that sends the mutated data set
 * bytes as they are: an SCU library would parse or re-encode them first.
 */
import { TransferSyntax as TS } from '../../src/dicom/constants';
import { writeSeries, type SeriesWriterOptions } from '../../src/synth/series-writer';
import { runTool } from '../helpers/dcmtk';
import { mutateP10, prng } from '../helpers/dicom-mutants';
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

const FAILURE_CODES = new Set([0xa700, 0xa900, 0xc000, 0xc122, 0xc409, 0x0122]);

it('320 mutants of 4 base files by STOW-RS and C-STORE: every one answered, no 5xx, no processing failure, node still up', async () => {
  const t0 = Date.now();
  const rnd = prng(0x11c0ffee);
  const mutants: Buffer[] = [];
  for (const base of await bases()) for (let i = 0; i < MUTANTS_PER_BASE; i++) mutants.push(mutateP10(base.bytes, rnd));
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
