/**
 * Structural check of a DICOM Part 10 file: walks every top-level element (and every sequence item and
 * encapsulated fragment) by its tag and length, without decoding values, and proves that the file ends exactly
 * where its last element ends.
 *
 * Why: dcmjs reads a file whose Pixel Data is cut short without complaint (it "reads the available bytes"), so a
 * truncated upload would otherwise be stored as if it were whole. The walk is cheap (it skips values) and works on
 * files on disk through positioned reads, so a 2 GB multi-frame object never has to be in memory.
 */
import { inflateRawSync } from 'node:zlib';
import { bufferSource, type ByteSource } from '../dicom/byte-source';
import { PIXEL_DATA, PIXEL_DATA_TAGS, TransferSyntax, UNDEFINED_LENGTH } from '../dicom/constants';
import { EXPLICIT_LE, encodingOf, readFileMeta, walkElements, type Encoding } from '../dicom/element-walker';
import { DicomParseError } from '../dicom/p10';

export class P10StructureError extends Error {
  constructor(
    message: string,
    /** truncated: an element runs past the end of the file; invalid: bytes that cannot be a DICOM element. */
    public readonly reason: 'not-dicom' | 'truncated' | 'invalid',
  ) {
    super(message);
    this.name = 'P10StructureError';
  }
}

export interface P10Structure {
  transferSyntaxUid: string;
  /** Offset of the first data set element (after File Meta Information). */
  datasetOffset: number;
  /** Offset of the top-level (7FE0,0010) Pixel Data element's tag, when present (undefined for deflated files). */
  pixelDataOffset?: number;
  /** Value length of a native (defined-length) top-level Pixel Data; undefined when encapsulated or absent. */
  pixelDataLength?: number;
  /** Any of Pixel Data, Float Pixel Data or Double Float Pixel Data present at top level. */
  hasPixelData: boolean;
  /** Number of top-level data set elements. */
  elementCount: number;
}

/** Reads File Meta Information and returns the transfer syntax and where it ends. */
function readMeta(src: ByteSource): { transferSyntaxUid: string; datasetOffset: number } {
  if (src.size < 132) throw new P10StructureError(`not a DICOM Part 10 file (${src.size} bytes, shorter than the 132-byte preamble + magic)`, 'not-dicom');
  if (String.fromCharCode(...src.bytes(128, 4)) !== 'DICM') {
    throw new P10StructureError('not a DICOM Part 10 file (no "DICM" magic at offset 128)', 'not-dicom');
  }
  const { transferSyntaxUid, datasetOffset } = readFileMeta(src);
  if (!transferSyntaxUid) throw new P10StructureError('invalid DICOM file meta: no Transfer Syntax UID (0002,0010)', 'invalid');
  return { transferSyntaxUid, datasetOffset };
}

/** Walks the whole file; throws P10StructureError naming the first problem. */
export function checkP10Structure(src: ByteSource): P10Structure {
  try {
    return walkFile(src);
  } catch (e) {
    if (e instanceof DicomParseError && e.reason !== 'unsupported-transfer-syntax') throw new P10StructureError(e.message, e.reason);
    throw e;
  }
}

function walkFile(src: ByteSource): P10Structure {
  const { transferSyntaxUid, datasetOffset } = readMeta(src);
  if (transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(src.bytes(datasetOffset, src.size - datasetOffset));
    } catch (e) {
      throw new P10StructureError(`truncated or corrupt deflated data set: ${(e as Error).message}`, 'truncated');
    }
    const inner = bufferSource(inflated);
    const { count, hasPixelData, pixelDataLength } = walkTop(inner, 0, EXPLICIT_LE);
    return { transferSyntaxUid, datasetOffset, elementCount: count, hasPixelData, pixelDataLength };
  }
  const { count, pixelDataOffset, hasPixelData, pixelDataLength } = walkTop(src, datasetOffset, encodingOf(transferSyntaxUid));
  return { transferSyntaxUid, datasetOffset, pixelDataOffset, elementCount: count, hasPixelData, pixelDataLength };
}

function walkTop(src: ByteSource, start: number, enc: Encoding): { count: number; pixelDataOffset?: number; pixelDataLength?: number; hasPixelData: boolean } {
  let count = 0;
  let pixelDataOffset: number | undefined;
  let pixelDataLength: number | undefined;
  let hasPixelData = false;
  walkElements(src, start, src.size, 0, enc, (tag, at, length) => {
    count++;
    if (tag === PIXEL_DATA) {
      pixelDataOffset = at;
      pixelDataLength = length === UNDEFINED_LENGTH ? undefined : length;
    }
    if (PIXEL_DATA_TAGS.has(tag)) hasPixelData = true;
  });
  return { count, pixelDataOffset, pixelDataLength, hasPixelData };
}
