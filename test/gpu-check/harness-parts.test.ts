/** The GPU check's small parts: nvidia-smi lines, and a grid case file that does not match its description. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNvidiaSmi } from '../../src/gpu-check/gpu-memory';
import { readGridCase } from '../../src/gpu-check/grid-case';

it('reads the GPU name and used MiB from an nvidia-smi csv line', () => {
  expect(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 1234')).toEqual({ gpu: 'NVIDIA H100 80GB HBM3', usedMiB: 1234 });
  expect(parseNvidiaSmi('No devices were found')).toBeUndefined();
});

describe('readGridCase', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'grid-case-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const meta = { id: 'c', shape: [2, 3, 4], axes: 'kji', channels: ['t1', 'flair'], availability: [1, 0], grid: { spacing: [2, 2, 2], affine: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1] } };

  it('maps k,j,i shape to i,j,k dims and keeps only the available channels', () => {
    writeFileSync(join(dir, 'case.json'), JSON.stringify(meta));
    const data = Float32Array.from({ length: 2 * 24 }, (_, i) => i);
    writeFileSync(join(dir, 'image.f32'), Buffer.from(data.buffer));
    const g = readGridCase(dir);
    expect(g.dims).toEqual([4, 3, 2]);
    expect(Object.keys(g.channels)).toEqual(['t1']);
    expect(Array.from(g.channels.t1!.slice(0, 3))).toEqual([0, 1, 2]);
  });

  it('refuses an image.f32 of the wrong size, saying what it expected', () => {
    writeFileSync(join(dir, 'case.json'), JSON.stringify(meta));
    writeFileSync(join(dir, 'image.f32'), Buffer.alloc(10));
    expect(() => readGridCase(dir)).toThrow(/image\.f32 has 10 bytes, 2 channels of 4x3x2 float32 need 192/);
  });
});
