/**
 * 1-bit packing for BINARY SEG Pixel Data (PS3.5 8.1.1, PS3.3 C.8.20.2): frames are concatenated bit by bit,
 * LSB first, with NO padding between frames; only the total is padded to an even number of bytes. When
 * Rows x Columns is not a multiple of 8, frame n starts in the middle of a byte (the dcmjs#66 / dcmqi#341 bug).
 */

export interface PackedFrame {
  /** Slice index k in the label map (frame = slice k of the grid). */
  slice: number;
  /** 256-entry lookup: lut[labelValue] = 1 when the voxel belongs to this frame's segment. */
  lut: Uint8Array;
}

/** Bytes needed for `frames` frames of `frameSize` pixels, padded to even length. */
export function packedLength(frameCount: number, frameSize: number): number {
  const bytes = Math.ceil((frameCount * frameSize) / 8);
  return bytes + (bytes % 2);
}

/**
 * Packs the frames into one bitstream. `labelmap` holds slices of `frameSize` voxels each (row-major, column
 * fastest, as Volume.data). Linear in the number of packed pixels.
 */
export function packFrames(labelmap: Uint8Array, frameSize: number, frames: readonly PackedFrame[]): Uint8Array {
  const out = new Uint8Array(packedLength(frames.length, frameSize));
  // Label maps are mostly background (value 0, never in a segment): skip 8 voxels at a time when both words are 0.
  const words = labelmap.byteOffset % 4 === 0 ? new Uint32Array(labelmap.buffer, labelmap.byteOffset, labelmap.length >>> 2) : undefined;
  let bit = 0;
  for (const f of frames) {
    const lut = f.lut;
    const start = f.slice * frameSize;
    const end = start + frameSize;
    if ((bit & 7) === 0 && (frameSize & 7) === 0) {
      // Byte-aligned fast path: 8 voxels -> 1 byte.
      let o = bit >>> 3;
      for (let i = start; i < end; i += 8, o++) {
        if (words && words[i >>> 2] === 0 && words[(i >>> 2) + 1] === 0) continue;
        out[o] =
          lut[labelmap[i]!]! |
          (lut[labelmap[i + 1]!]! << 1) |
          (lut[labelmap[i + 2]!]! << 2) |
          (lut[labelmap[i + 3]!]! << 3) |
          (lut[labelmap[i + 4]!]! << 4) |
          (lut[labelmap[i + 5]!]! << 5) |
          (lut[labelmap[i + 6]!]! << 6) |
          (lut[labelmap[i + 7]!]! << 7);
      }
    } else {
      let b = bit;
      for (let i = start; i < end; i++, b++) {
        if (lut[labelmap[i]!]) out[b >>> 3]! |= 1 << (b & 7);
      }
    }
    bit += frameSize;
  }
  return out;
}

/** Unpacks frame `index` (0-based) of a packed bitstream into 0/1 bytes. */
export function unpackFrame(packed: Uint8Array, index: number, frameSize: number): Uint8Array {
  const out = new Uint8Array(frameSize);
  const first = index * frameSize;
  if (packed.length * 8 < first + frameSize) {
    throw new RangeError(`Pixel Data too short for frame ${index + 1} (${packed.length} bytes)`);
  }
  for (let p = 0, b = first; p < frameSize; p++, b++) out[p] = (packed[b >>> 3]! >>> (b & 7)) & 1;
  return out;
}
