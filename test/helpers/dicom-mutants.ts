/**
 * Seeded mutants of Part 10 files, for the fuzz tests: byte flips, length fields set to huge or random values, VR
 * bytes garbled, chunks inserted or deleted, and cuts, mostly in the header where the parsers work.
 */
import { bufferSource } from '../../src/dicom/byte-source';
import { splitP10 } from '../../src/dimse-bridge/p10-split';
import { checkP10Structure } from '../../src/store/p10-structure';

/** mulberry32 (the phantoms' seeded PRNG), so every run sends the same mutants. */
export { rng as prng } from '../ai/phantom';

/** One mutant of `base`: 1-3 mutations after the File Meta Information, 80 % of them in the header. */
export function mutateP10(base: Buffer, rnd: () => number): Buffer {
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

