/** Damaged DICOM for tests: objects an older node stored before it checked them at receipt. Test data only. */
import { bufferSource } from '../../src/dicom/byte-source';
import { checkP10Structure } from '../../src/store/p10-structure';

/** The same instance with its (explicit VR LE) Pixel Data cut to half, the element length adjusted to match. */
export function shortenedPixelData(buf: Buffer): Buffer {
  const at = checkP10Structure(bufferSource(buf)).pixelDataOffset!;
  const len = buf.readUInt32LE(at + 8);
  const out = Buffer.from(buf.subarray(0, at + 12 + len / 2));
  out.writeUInt32LE(len / 2, at + 8);
  return out;
}
