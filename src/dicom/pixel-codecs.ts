/**
 * Pixel data frames in and out of every transfer syntax the node accepts.
 *
 * What each path uses:
 *  - Implicit / Explicit VR Little Endian, Deflated Explicit VR LE: native pixels (dcmjs inflates deflated data sets
 *    while parsing); frames are views into the Pixel Data value.
 *  - Explicit VR Big Endian (retired, read only): native pixels, bytes swapped here for 16-bit samples.
 *  - RLE Lossless, JPEG Baseline (8-bit), JPEG Lossless process 14 (any predictor, incl. SV1), JPEG-LS lossless and
 *    near-lossless, JPEG 2000 lossless and lossy, HT-JPEG 2000: the dcmjs-codecs WebAssembly module
 *    (libjpeg-turbo, CharLS, OpenJPEG, its own RLE), initialised once per process with initPixelCodecs().
 *  - JPEG Extended (12-bit lossy, 1.2.840.10008.1.2.4.51): accepted by the same libjpeg-turbo decoder when the build
 *    supports the stream's precision; otherwise a PixelCodecError names the syntax.
 * Anything else is refused with PixelCodecError reason 'unsupported-transfer-syntax'.
 */
import { Context, NativeCodecs } from 'dcmjs-codecs';
import { TransferSyntax } from './constants';
import { concatBytes } from './byte-source';

export class PixelCodecError extends Error {
  constructor(
    message: string,
    /** Machine-readable reason. */
    public readonly reason: 'unsupported-transfer-syntax' | 'unsupported-pixel-format' | 'corrupt-pixel-data' | 'codec-not-initialised',
  ) {
    super(message);
    this.name = 'PixelCodecError';
  }
}

/** The Image Pixel module attributes a codec needs (monochrome only: MR pixels are grey). */
export interface PixelFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  samplesPerPixel: number;
  photometricInterpretation: string;
}

const TS = TransferSyntax;
export const HtJpeg2000 = {
  Lossless: '1.2.840.10008.1.2.4.201',
  LosslessRpcl: '1.2.840.10008.1.2.4.202',
  Lossy: '1.2.840.10008.1.2.4.203',
} as const;

type CodecName = 'rle' | 'jpeg' | 'jpegls' | 'jpeg2000' | 'htj2k';

/** Encapsulated syntaxes and the dcmjs-codecs family that handles them. */
const ENCAPSULATED_CODEC: Record<string, CodecName> = {
  [TS.RleLossless]: 'rle',
  [TS.JpegBaseline]: 'jpeg',
  [TS.JpegExtended]: 'jpeg',
  [TS.JpegLossless]: 'jpeg',
  [TS.JpegLosslessSV1]: 'jpeg',
  [TS.JpegLsLossless]: 'jpegls',
  [TS.JpegLsNearLossless]: 'jpegls',
  [TS.Jpeg2000Lossless]: 'jpeg2000',
  [TS.Jpeg2000]: 'jpeg2000',
  [HtJpeg2000.Lossless]: 'htj2k',
  [HtJpeg2000.LosslessRpcl]: 'htj2k',
  [HtJpeg2000.Lossy]: 'htj2k',
};

const NATIVE_SYNTAXES: ReadonlySet<string> = new Set([
  TS.ImplicitVRLittleEndian,
  TS.ExplicitVRLittleEndian,
  TS.DeflatedExplicitVRLittleEndian,
  TS.ExplicitVRBigEndian,
]);

/** Transfer syntaxes whose pixel data this module can decode. */
export const DECODABLE_TRANSFER_SYNTAXES: readonly string[] = [...NATIVE_SYNTAXES, ...Object.keys(ENCAPSULATED_CODEC)];

/** Transfer syntaxes the series writer can encode (JPEG Extended is decode-only). */
export const ENCODABLE_TRANSFER_SYNTAXES: readonly string[] = DECODABLE_TRANSFER_SYNTAXES.filter((t) => t !== TS.JpegExtended);

/** Lossy syntaxes: decoded values are not the original values. */
export const LOSSY_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([
  TS.JpegBaseline,
  TS.JpegExtended,
  TS.JpegLsNearLossless,
  TS.Jpeg2000,
  HtJpeg2000.Lossy,
]);

export function isEncapsulatedSyntax(ts: string): boolean {
  return ts in ENCAPSULATED_CODEC;
}

export function isNativeSyntax(ts: string): boolean {
  return NATIVE_SYNTAXES.has(ts);
}

export function assertDecodable(ts: string): void {
  if (!NATIVE_SYNTAXES.has(ts) && !(ts in ENCAPSULATED_CODEC)) {
    throw new PixelCodecError(`transfer syntax ${ts || '(none)'} is not supported for pixel decoding`, 'unsupported-transfer-syntax');
  }
}

let initPromise: Promise<void> | undefined;

/** Loads the codec WebAssembly once per process (a few ms); safe to call repeatedly. */
export function initPixelCodecs(): Promise<void> {
  if (NativeCodecs.isInitialized()) return Promise.resolve();
  initPromise ??= NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false }).catch((e: unknown) => {
    initPromise = undefined;
    throw e;
  });
  return initPromise;
}

/** True when the transfer syntax needs the WebAssembly codecs (call initPixelCodecs() first). */
export function needsCodecs(ts: string): boolean {
  return isEncapsulatedSyntax(ts);
}

function requireCodecs(ts: string): void {
  if (!NativeCodecs.isInitialized()) {
    throw new PixelCodecError(`pixel codecs not initialised (await initPixelCodecs() before decoding ${ts})`, 'codec-not-initialised');
  }
}

function checkFormat(fmt: PixelFormat): void {
  if (fmt.samplesPerPixel !== 1) {
    throw new PixelCodecError(`SamplesPerPixel ${fmt.samplesPerPixel}: only single-sample (grey) images are volumes`, 'unsupported-pixel-format');
  }
  if (fmt.bitsAllocated !== 8 && fmt.bitsAllocated !== 16) {
    throw new PixelCodecError(`BitsAllocated ${fmt.bitsAllocated}: only 8 and 16 are supported`, 'unsupported-pixel-format');
  }
  if (!(fmt.bitsStored >= 1 && fmt.bitsStored <= fmt.bitsAllocated)) {
    throw new PixelCodecError(`BitsStored ${fmt.bitsStored} does not fit BitsAllocated ${fmt.bitsAllocated}`, 'unsupported-pixel-format');
  }
  if (!/^MONOCHROME[12]$/.test(fmt.photometricInterpretation.trim())) {
    throw new PixelCodecError(`PhotometricInterpretation ${fmt.photometricInterpretation}: only MONOCHROME1/2 are volumes`, 'unsupported-pixel-format');
  }
}

function frameBytes(fmt: PixelFormat): number {
  return fmt.rows * fmt.columns * (fmt.bitsAllocated / 8);
}

function codecContext(fmt: PixelFormat, buf: { encodedBuffer?: Uint8Array; decodedBuffer?: Uint8Array }): Context {
  return new Context({
    width: fmt.columns,
    height: fmt.rows,
    bitsAllocated: fmt.bitsAllocated,
    bitsStored: fmt.bitsStored,
    samplesPerPixel: 1,
    pixelRepresentation: fmt.pixelRepresentation,
    planarConfiguration: 0,
    photometricInterpretation: fmt.photometricInterpretation.trim(),
    ...buf,
  });
}

function asU8(b: ArrayBuffer | ArrayBufferView): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Starts of a new compressed frame in a fragment (JPEG SOI, J2K SOC, JP2 signature box). */
function startsCodestream(f: Uint8Array): boolean {
  if (f.length < 4) return false;
  if (f[0] === 0xff && f[1] === 0xd8 && f[2] === 0xff) return true; // JPEG / JPEG-LS
  if (f[0] === 0xff && f[1] === 0x4f && f[2] === 0xff && f[3] === 0x51) return true; // J2K codestream
  return f[0] === 0x00 && f[1] === 0x00 && f[2] === 0x00 && f[3] === 0x0c; // JP2 file format
}

/**
 * Splits the Pixel Data value as dcmjs returns it into one buffer per frame.
 * Native: one contiguous value, sliced by frame size. Encapsulated: dcmjs gives one item per frame when a Basic Offset
 * Table is present, else one item per fragment; fragments are regrouped here (all into one frame for single-frame
 * images, else by codestream start markers).
 */
export function splitFrames(pixelData: unknown, ts: string, fmt: PixelFormat, numberOfFrames: number): Uint8Array[] {
  assertDecodable(ts);
  const items = (Array.isArray(pixelData) ? pixelData : pixelData == null ? [] : [pixelData]) as unknown[];
  const parts: Uint8Array[] = [];
  for (const it of items) {
    if (it instanceof ArrayBuffer || ArrayBuffer.isView(it)) parts.push(asU8(it));
    else if (Array.isArray(it)) parts.push(concatBytes(it.map((x) => asU8(x as ArrayBuffer))));
  }
  if (parts.length === 0) throw new PixelCodecError('no Pixel Data (7FE0,0010) in the instance', 'corrupt-pixel-data');
  if (isNativeSyntax(ts)) {
    const all = parts.length === 1 ? parts[0]! : concatBytes(parts);
    const size = frameBytes(fmt);
    if (all.byteLength < size * numberOfFrames) {
      throw new PixelCodecError(
        `Pixel Data holds ${all.byteLength} bytes, ${numberOfFrames} frame(s) of ${fmt.columns}x${fmt.rows}x${fmt.bitsAllocated} bits need ${size * numberOfFrames}`,
        'corrupt-pixel-data',
      );
    }
    return Array.from({ length: numberOfFrames }, (_, f) => all.subarray(f * size, (f + 1) * size));
  }
  if (parts.length === numberOfFrames) return parts;
  if (numberOfFrames === 1) return [concatBytes(parts)];
  if (ts === TS.RleLossless) {
    throw new PixelCodecError(`RLE Pixel Data has ${parts.length} fragments for ${numberOfFrames} frames (one fragment per frame required)`, 'corrupt-pixel-data');
  }
  const frames: Uint8Array[][] = [];
  for (const p of parts) {
    if (frames.length === 0 || startsCodestream(p)) frames.push([p]);
    else frames[frames.length - 1]!.push(p);
  }
  if (frames.length !== numberOfFrames) {
    throw new PixelCodecError(`encapsulated Pixel Data has ${frames.length} frames, NumberOfFrames says ${numberOfFrames}`, 'corrupt-pixel-data');
  }
  return frames.map((f) => (f.length === 1 ? f[0]! : concatBytes(f)));
}


/**
 * Decodes one frame to native little-endian bytes (rows*columns samples of bitsAllocated bits).
 * Native frames are returned as they are (big endian swapped into a copy).
 */
export function decodeFrameBytes(frame: Uint8Array, ts: string, fmt: PixelFormat): Uint8Array {
  assertDecodable(ts);
  checkFormat(fmt);
  const size = frameBytes(fmt);
  if (isNativeSyntax(ts)) {
    if (ts === TS.ExplicitVRBigEndian && fmt.bitsAllocated === 16) {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i += 2) {
        out[i] = frame[i + 1]!;
        out[i + 1] = frame[i]!;
      }
      return out;
    }
    return frame.subarray(0, size);
  }
  requireCodecs(ts);
  const ctx = codecContext(fmt, { encodedBuffer: frame });
  let decoded: Uint8Array | undefined;
  try {
    const codec = ENCAPSULATED_CODEC[ts]!;
    const out =
      codec === 'rle' ? NativeCodecs.decodeRle(ctx)
      : codec === 'jpeg' ? NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: false })
      : codec === 'jpegls' ? NativeCodecs.decodeJpegLs(ctx)
      : codec === 'jpeg2000' ? NativeCodecs.decodeJpeg2000(ctx)
      : NativeCodecs.decodeHtJpeg2000(ctx);
    decoded = out.getDecodedBuffer();
  } catch (e) {
    throw new PixelCodecError(`cannot decode ${ts} frame: ${(e as Error).message}`, 'corrupt-pixel-data');
  }
  if (!decoded || decoded.byteLength < size) {
    throw new PixelCodecError(`${ts} frame decoded to ${decoded?.byteLength ?? 0} bytes, expected ${size}`, 'corrupt-pixel-data');
  }
  return decoded.subarray(0, size);
}

export type StoredPixels = Int16Array | Uint16Array | Uint8Array | Int8Array;

/**
 * Interprets decoded frame bytes as stored values: masks bits above BitsStored and sign-extends signed data
 * (e.g. 12-bit two's complement in 16-bit words). Returns a view when no change is needed.
 */
export function storedValues(bytes: Uint8Array, fmt: PixelFormat): StoredPixels {
  const n = fmt.rows * fmt.columns;
  const bs = fmt.bitsStored;
  if (fmt.bitsAllocated === 8) {
    const u8 = bytes.byteOffset === 0 && bytes.byteLength === n ? bytes : bytes.slice(0, n);
    if (fmt.pixelRepresentation === 0) {
      if (bs < 8) for (let i = 0; i < n; i++) u8[i] = u8[i]! & ((1 << bs) - 1);
      return u8;
    }
    const s8 = new Int8Array(u8.buffer, u8.byteOffset, n);
    if (bs < 8) for (let i = 0; i < n; i++) s8[i] = ((u8[i]! << (32 - bs)) >> (32 - bs));
    return s8;
  }
  // 16-bit: typed arrays need 2-byte alignment; copy when the view is odd-aligned.
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice(0, n * 2);
  if (fmt.pixelRepresentation === 0) {
    const u16 = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
    if (bs < 16) {
      const out = new Uint16Array(n);
      const mask = (1 << bs) - 1;
      for (let i = 0; i < n; i++) out[i] = u16[i]! & mask;
      return out;
    }
    return u16;
  }
  const s16 = new Int16Array(aligned.buffer, aligned.byteOffset, n);
  if (bs < 16) {
    const out = new Int16Array(n);
    const sh = 32 - bs;
    for (let i = 0; i < n; i++) out[i] = (s16[i]! << sh) >> sh;
    return out;
  }
  return s16;
}

export interface EncodeParams {
  /** JPEG Baseline quality 1..100 (default 90). */
  jpegQuality?: number;
  /** JPEG Lossless predictor 1..7 for 1.2.840.10008.1.2.4.57 (SV1 always uses 1). */
  jpegPredictor?: number;
  /** JPEG-LS near-lossless maximum error (default 2). */
  jpegLsNear?: number;
  /** JPEG 2000 lossy compression rate (default 10). */
  jpeg2000Rate?: number;
}

/** Encodes one native little-endian frame into the given encapsulated transfer syntax. */
export function encodeFrameBytes(raw: Uint8Array, ts: string, fmt: PixelFormat, params: EncodeParams = {}): Uint8Array {
  checkFormat(fmt);
  const codec = ENCAPSULATED_CODEC[ts];
  if (!codec || ts === TS.JpegExtended) {
    throw new PixelCodecError(`transfer syntax ${ts} cannot be encoded here`, 'unsupported-transfer-syntax');
  }
  if (ts === TS.JpegBaseline && (fmt.bitsAllocated !== 8 || fmt.bitsStored !== 8)) {
    throw new PixelCodecError('JPEG Baseline needs 8-bit pixels (bitsAllocated 8)', 'unsupported-pixel-format');
  }
  requireCodecs(ts);
  const ctx = codecContext(fmt, { decodedBuffer: raw });
  const lossy = LOSSY_TRANSFER_SYNTAXES.has(ts);
  let out: Context;
  try {
    out =
      codec === 'rle' ? NativeCodecs.encodeRle(ctx)
      : codec === 'jpeg' ?
        NativeCodecs.encodeJpeg(ctx, {
          lossy,
          quality: params.jpegQuality ?? 90,
          predictor: ts === TS.JpegLossless ? (params.jpegPredictor ?? 1) : lossy ? 0 : 1,
          pointTransform: 0,
        })
      : codec === 'jpegls' ? NativeCodecs.encodeJpegLs(ctx, { lossy, allowedLossyError: lossy ? (params.jpegLsNear ?? 2) : 0 })
      : codec === 'jpeg2000' ? NativeCodecs.encodeJpeg2000(ctx, { lossy, rate: params.jpeg2000Rate ?? 10 })
      : NativeCodecs.encodeHtJpeg2000(ctx, { lossy });
  } catch (e) {
    throw new PixelCodecError(`cannot encode frame as ${ts}: ${(e as Error).message}`, 'unsupported-pixel-format');
  }
  const enc = out.getEncodedBuffer();
  if (!enc || enc.byteLength === 0) throw new PixelCodecError(`encoder for ${ts} produced no data`, 'corrupt-pixel-data');
  return enc;
}
