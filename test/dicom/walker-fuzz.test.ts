/**
 * Fuzz corpus for everything that walks Part 10 bytes with the shared element walker: seeded cuts, single bit
 * flips and structural mutants (test/helpers/dicom-mutants.ts) of real files (single-frame explicit and implicit VR,
 * JPEG Lossless encapsulated, Enhanced MR multi-frame, a SEG-shaped object with nested sequences). Each reader must
 * either read the mutant or throw its own specific error; the DICOM JSON decoder must read it or decline (undefined).
 * Every loop in the walker moves forward by at least one 8-byte header, so a mutant cannot make a reader spin.
 */
import { bufferSource } from '../../src/dicom/byte-source';
import { SopClass, TransferSyntax as TS } from '../../src/dicom/constants';
import { readFileMeta, walkElements, encodingOf } from '../../src/dicom/element-walker';
import { DicomParseError } from '../../src/dicom/p10';
import { writePart10 } from '../../src/dicom/part10-writer';
import { splitP10 } from '../../src/dimse-bridge/p10-split';
import { readImageInstance } from '../../src/imaging/p10-image-reader';
import { decodeInstanceJson } from '../../src/store/instance-json-decoder';
import { checkP10Structure, P10StructureError } from '../../src/store/p10-structure';
import { writeSeries, type SeriesWriterOptions } from '../../src/synth/series-writer';
import { mutateP10, prng } from '../helpers/dicom-mutants';
import { AXIAL, ch2Series } from '../imaging/helpers/ch2-series';

const PER_KIND = 60;

async function bases(): Promise<Array<{ name: string; bytes: Buffer }>> {
  const vol = ch2Series({ ...AXIAL, spacing: [4, 4, 5], dims: [24, 24, 3], offset: -10 });
  const one = async (name: string, opts: Partial<SeriesWriterOptions>): Promise<{ name: string; bytes: Buffer }> => ({
    name,
    bytes: (await writeSeries(vol, { PatientName: 'FUZZ^BASE' }, { seed: `walker-fuzz-${name}`, ...opts })).instances[0]!.buffer,
  });
  const seg = writePart10({
    SOPClassUID: SopClass.Segmentation,
    SOPInstanceUID: '1.2.3.4',
    ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2', ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: '1.2.1' }, { ReferencedSOPInstanceUID: '1.2.2' }] }],
    SharedFunctionalGroupsSequence: [{ PixelMeasuresSequence: [{ PixelSpacing: [1, 1], SliceThickness: 1 }] }],
    Rows: 4,
    Columns: 4,
    PixelData: new Uint8Array(16),
  });
  return [
    await one('explicit-le', {}),
    await one('implicit-le', { transferSyntaxUid: TS.ImplicitVRLittleEndian }),
    await one('jpeg-lossless', { transferSyntaxUid: TS.JpegLosslessSV1 }),
    await one('enhanced-mr', { format: 'enhanced' }),
    { name: 'seg', bytes: seg },
  ];
}

/** What each reader did with the bytes: 'ok', its specific error's reason, or 'WRONG ...' for anything else. */
function outcomes(b: Buffer): string[] {
  const run = (fn: () => unknown, ok: (e: unknown) => string | undefined): string => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      return ok(e) ?? `WRONG ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
  };
  const parseError = (e: unknown): string | undefined => (e instanceof DicomParseError ? e.reason : undefined);
  const out = [
    run(() => checkP10Structure(bufferSource(b)), (e) => (e instanceof P10StructureError ? e.reason : undefined)),
    run(() => readImageInstance(b), parseError),
    run(() => splitP10(b), parseError),
    run(() => {
      const src = bufferSource(b);
      const meta = readFileMeta(src);
      walkElements(src, meta.datasetOffset, b.length, 0, encodingOf(meta.transferSyntaxUid));
    }, parseError),
  ];
  // The decoder runs after the structural check, as in the store; it reads or declines, never throws.
  let structure: { datasetOffset: number; transferSyntaxUid: string } | undefined;
  try {
    structure = checkP10Structure(bufferSource(b));
  } catch {
    structure = undefined;
  }
  if (structure) out.push(run(() => decodeInstanceJson(b, structure.datasetOffset, structure.transferSyntaxUid), () => undefined));
  return out;
}

let corpus: Array<{ name: string; bytes: Buffer }>;

beforeAll(async () => {
  corpus = await bases();
  // dcmjs (the fallback for deflated / big endian) prints a line per oddity; the outcomes are what is checked.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterAll(() => jest.restoreAllMocks());

it('every base file reads whole with every reader', () => {
  for (const { name, bytes } of corpus) expect([name, ...outcomes(bytes)]).toEqual([name, 'ok', 'ok', 'ok', 'ok', 'ok']);
});

it.each(['cut', 'bit flip', 'structural'] as const)('%s mutants: every reader reads them or throws its own error', (kind) => {
  const rnd = prng(kind === 'cut' ? 0xc07 : kind === 'bit flip' ? 0xb17 : 0x5eed);
  const wrong: string[] = [];
  const reasons = new Map<string, number>();
  for (const { name, bytes } of corpus) {
    for (let i = 0; i < PER_KIND; i++) {
      let m: Buffer;
      if (kind === 'cut') m = bytes.subarray(0, 132 + Math.floor(rnd() * (bytes.length - 132)));
      else if (kind === 'bit flip') {
        m = Buffer.from(bytes);
        const at = 132 + Math.floor(rnd() * (m.length - 132));
        m[at]! ^= 1 << Math.floor(rnd() * 8);
      } else m = mutateP10(bytes, rnd);
      for (const o of outcomes(m)) {
        if (o.startsWith('WRONG')) wrong.push(`${name} #${i}: ${o}`);
        reasons.set(o, (reasons.get(o) ?? 0) + 1);
      }
    }
  }
  expect(wrong).toEqual([]);
  // The corpus does reach the error paths (a fuzz whose mutants all read fine would prove nothing).
  expect((reasons.get('truncated') ?? 0) + (reasons.get('invalid') ?? 0)).toBeGreaterThan(0);
});
