/**
 * 1-bit packing across frame boundaries, against a naive reference that follows PS3.5 literally
 * (pixel n of the whole multi-frame stream is bit n % 8 of byte n / 8).
 */
import { packedLength, packFrames, unpackFrame } from '../../src/encoders/seg/bitpack';

function naivePack(labelmap: Uint8Array, frameSize: number, frames: Array<{ slice: number; label: number }>): Uint8Array {
  const bits: number[] = [];
  for (const f of frames) for (let p = 0; p < frameSize; p++) bits.push(labelmap[f.slice * frameSize + p] === f.label ? 1 : 0);
  const out = new Uint8Array(Math.ceil(bits.length / 8) + (Math.ceil(bits.length / 8) % 2));
  bits.forEach((b, n) => (out[n >> 3]! |= b << (n % 8)));
  return out;
}

function lut(label: number): Uint8Array {
  const l = new Uint8Array(256);
  l[label] = 1;
  return l;
}

function randomLabelmap(n: number, seed: number): Uint8Array {
  let s = seed;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 16) % 4;
  }
  return out;
}

test.each([
  [17, 15],
  [3, 3],
  [16, 16],
  [240, 240],
])('%i x %i frames, several segments: identical to the naive packer and unpacks exactly', (rows, cols) => {
  const frameSize = rows * cols;
  const slices = 5;
  const lm = randomLabelmap(frameSize * slices, rows * 31 + cols);
  const frames = [
    { slice: 0, label: 1 },
    { slice: 3, label: 1 },
    { slice: 1, label: 2 },
    { slice: 4, label: 3 },
    { slice: 2, label: 3 },
  ];
  const packed = packFrames(lm, frameSize, frames.map((f) => ({ slice: f.slice, lut: lut(f.label) })));
  expect(Buffer.from(packed).equals(Buffer.from(naivePack(lm, frameSize, frames)))).toBe(true);
  expect(packed.length).toBe(packedLength(frames.length, frameSize));
  expect(packed.length % 2).toBe(0);
  frames.forEach((f, i) => {
    const expected = lm.subarray(f.slice * frameSize, (f.slice + 1) * frameSize).map((v) => (v === f.label ? 1 : 0));
    expect(Buffer.from(unpackFrame(packed, i, frameSize)).equals(Buffer.from(expected))).toBe(true);
  });
});

test('frame 2 of 3x3 frames starts at bit 9 (mid-byte), not at byte 2', () => {
  const lm = new Uint8Array(18);
  lm[9] = 1; // first pixel of slice 1
  const packed = packFrames(lm, 9, [{ slice: 0, lut: lut(1) }, { slice: 1, lut: lut(1) }]);
  expect(Array.from(packed)).toEqual([0, 0b10, 0, 0]);
});

test('unpacking past the end is a clear error', () => {
  expect(() => unpackFrame(new Uint8Array(2), 1, 16)).toThrow(/too short for frame 2/);
});
