/**
 * Pixel decoding against real DCMTK encoders and decoders: DCMTK compresses native series (dcmcjpeg, dcmcjpls,
 * dcmcrle) and our decoders must give back the original values exactly for lossless syntaxes, and exactly DCMTK's own
 * decode (dcmdjpeg/dcmdjpls) for lossy ones. Fragmented frames (with and without a Basic Offset Table) and clear
 * errors for unsupported syntaxes and corrupt data are covered too.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransferSyntax as TS } from '../../src/dicom/constants';
import { readP10 } from '../../src/dicom/p10';
import {
  decodeFrameBytes,
  initPixelCodecs,
  PixelCodecError,
  splitFrames,
  storedValues,
  type PixelFormat,
} from '../../src/dicom/pixel-codecs';
import { writeSeries } from '../../src/synth/series-writer';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import { VolumeBuildError } from '../../src/imaging/volume-errors';
import type { Volume } from '../../src/imaging/volume';
import { runTool } from '../helpers/dcmtk';
import { AXIAL, ch2Series } from '../imaging/helpers/ch2-series';
import { tempDir } from '../imaging/helpers/dcm2niix';

let work: string;
let src: Volume<Int16Array | Float32Array>;
/** Native single-frame files (signed, 16 bits stored) and one Enhanced multi-frame file (12 bits stored). */
let single: string[];
let enhanced: string;
let enhanced8: string;

async function writeNative(v: Volume, format: 'single-frame' | 'enhanced', name: string, extra: { bitsStored?: number; bitsAllocated?: 8 | 16 } = {}): Promise<string[]> {
  const w = await writeSeries(v, {}, { seed: name, format, ...extra });
  return w.instances.map((x, i) => {
    const p = join(work, `${name}-${i}.dcm`);
    writeFileSync(p, x.buffer);
    return p;
  });
}

async function dcmtk(tool: string, args: string[], input: string, output: string): Promise<string> {
  const r = await runTool(tool, [...args, input, output]);
  if (r.code !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  return output;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

beforeAll(async () => {
  work = tempDir('pixel-codecs-');
  src = ch2Series({ ...AXIAL, spacing: [2, 2, 4], dims: [80, 96, 6], offset: -300 });
  single = await writeNative(src, 'single-frame', 'native');
  const v12 = ch2Series({ ...AXIAL, spacing: [2, 2, 4], dims: [80, 96, 6], gain: 12 });
  enhanced = (await writeNative(v12, 'enhanced', 'enh12', { bitsStored: 12 }))[0]!;
  const v8 = ch2Series({ ...AXIAL, spacing: [2, 2, 4], dims: [80, 96, 6], gain: 1 });
  enhanced8 = (await writeNative(v8, 'enhanced', 'enh8', { bitsAllocated: 8 }))[0]!;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('decoding DCMTK-compressed pixel data', () => {
  const lossless: [string, string, string[]][] = [
    ['JPEG Lossless SV1 (dcmcjpeg +e1)', 'dcmcjpeg', ['+e1']],
    ['JPEG Lossless process 14, predictor 6 (dcmcjpeg +el +sv 6)', 'dcmcjpeg', ['+el', '+sv', '6']],
    ['JPEG-LS lossless (dcmcjpls)', 'dcmcjpls', ['+el']],
    ['RLE (dcmcrle)', 'dcmcrle', []],
  ];
  it.each(lossless)('%s: single-frame signed 16-bit decodes to the original values', async (_n, tool, args) => {
    const out = await Promise.all(single.map((f, i) => dcmtk(tool, args, f, join(work, `${tool}${args.join('')}-${i}.dcm`))));
    const built = await buildSeriesVolume(out);
    expect(maxDiff(built.volume.data, src.data)).toBe(0);
  });

  it.each(lossless)('%s: Enhanced multi-frame 12-bit decodes to the original values', async (_n, tool, args) => {
    const out = await dcmtk(tool, args, enhanced, join(work, `enh-${tool}${args.join('')}.dcm`));
    const [orig, comp] = await Promise.all([buildSeriesVolume([enhanced]), buildSeriesVolume([out])]);
    expect(comp.volume.dims).toEqual(orig.volume.dims);
    expect(maxDiff(comp.volume.data, orig.volume.data)).toBe(0);
  });

  it('frames split into several fragments, with and without a Basic Offset Table', async () => {
    const withBot = await dcmtk('dcmcjpeg', ['+e1', '+fs', '1'], enhanced, join(work, 'frag-bot.dcm'));
    const noBot = await dcmtk('dcmcjpeg', ['+e1', '+fs', '1', '-ot'], enhanced, join(work, 'frag-nobot.dcm'));
    const orig = (await buildSeriesVolume([enhanced])).volume.data;
    for (const f of [withBot, noBot]) {
      // Through the lean reader (file path) and through dcmjs (parsed data set): both regroup fragments into frames.
      expect(maxDiff((await buildSeriesVolume([f])).volume.data, orig)).toBe(0);
      const p = readP10(readFileSync(f));
      expect(maxDiff((await buildSeriesVolume([{ meta: p.meta, dataset: p.dataset }])).volume.data, orig)).toBe(0);
    }
  });

  it('lossy JPEG Baseline, JPEG Extended 12-bit and JPEG-LS near-lossless decode exactly as DCMTK decodes them', async () => {
    const cases: [string, string[], string, string][] = [
      ['dcmcjpeg', ['+eb'], 'dcmdjpeg', enhanced8],
      ['dcmcjpeg', ['+ee'], 'dcmdjpeg', enhanced],
      ['dcmcjpls', ['+en', '+md', '3'], 'dcmdjpls', enhanced],
    ];
    for (const [enc, args, dec, input] of cases) {
      const comp = await dcmtk(enc, args, input, join(work, `lossy-${enc}${args.join('')}.dcm`));
      const ref = await dcmtk(dec, [], comp, join(work, `lossy-${enc}${args.join('')}-dec.dcm`));
      const ours = (await buildSeriesVolume([comp])).volume;
      const theirs = (await buildSeriesVolume([ref])).volume;
      expect(maxDiff(ours.data, theirs.data)).toBe(0);
      expect(readP10(readFileSync(comp)).meta.TransferSyntaxUID).not.toBe(TS.ExplicitVRLittleEndian);
    }
    // Near-lossless keeps every value within NEAR of the original.
    const near = (await buildSeriesVolume([join(work, 'lossy-dcmcjpls+en+md3.dcm')])).volume.data;
    expect(maxDiff(near, (await buildSeriesVolume([enhanced])).volume.data)).toBeLessThanOrEqual(3);
  });
});

describe('stored value interpretation', () => {
  const fmt: PixelFormat = { rows: 1, columns: 4, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2' };
  it('sign-extends 12-bit two\'s complement and ignores bits above HighBit', () => {
    // 0x0FFF = -1 in 12 bits; 0xF800 has junk above bit 11 and 0x800 = -2048; 0x07FF = 2047.
    const bytes = new Uint8Array(new Uint16Array([0x0fff, 0xf800, 0x07ff, 0x1001]).buffer);
    expect(Array.from(storedValues(bytes, fmt))).toEqual([-1, -2048, 2047, 1]);
    expect(Array.from(storedValues(bytes, { ...fmt, pixelRepresentation: 0 }))).toEqual([4095, 2048, 2047, 1]);
  });

  it('swaps bytes of big-endian native frames', () => {
    const be = new Uint8Array([0x01, 0x02, 0xff, 0xfe]);
    const le = decodeFrameBytes(be, TS.ExplicitVRBigEndian, { ...fmt, columns: 2, bitsStored: 16 });
    expect(Array.from(storedValues(le, { ...fmt, columns: 2, bitsStored: 16 }))).toEqual([0x0102, -2]);
  });
});

describe('clear errors', () => {
  it('refuses a transfer syntax it cannot decode, naming it', () => {
    expect(() => splitFrames([new ArrayBuffer(8)], '1.2.840.10008.1.2.4.100', { rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2' }, 1)).toThrow(
      expect.objectContaining({ reason: 'unsupported-transfer-syntax', message: expect.stringContaining('1.2.840.10008.1.2.4.100') }),
    );
  });

  it('reports corrupt compressed frames and short native pixel data as corrupt-pixel-data', async () => {
    await initPixelCodecs();
    const fmt: PixelFormat = { rows: 96, columns: 80, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2' };
    const garbage = new Uint8Array(200).fill(0x55);
    for (const ts of [TS.JpegLsLossless, TS.JpegLosslessSV1, TS.Jpeg2000Lossless, TS.RleLossless]) {
      expect(() => decodeFrameBytes(garbage, ts, fmt)).toThrow(PixelCodecError);
    }
    expect(() => splitFrames([new Uint8Array(100)], TS.ExplicitVRLittleEndian, fmt, 1)).toThrow(expect.objectContaining({ reason: 'corrupt-pixel-data' }));
  });

  it('turns a codec failure into VolumeBuildError unsupported-pixel-data for the series', async () => {
    const comp = await dcmtk('dcmcjpls', [], single[0]!, join(work, 'corrupt.dcm'));
    const bytes = readFileSync(comp);
    // Overwrite the middle of the JPEG-LS codestream.
    bytes.fill(0x00, bytes.length - 3000, bytes.length - 2000);
    await expect(buildSeriesVolume([bytes])).rejects.toThrow(VolumeBuildError);
    await expect(buildSeriesVolume([bytes])).rejects.toMatchObject({ reason: 'unsupported-pixel-data' });
  });
});
