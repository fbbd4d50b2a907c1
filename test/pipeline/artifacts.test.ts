import { mkdtempSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { hasArtifact, readArtifact, writeArtifact } from '../../src/pipeline/artifacts';

describe('stage artifacts', () => {
  it('round-trips nested typed arrays exactly and keeps the JSON readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'art-'));
    const value = {
      dims: [3, 2, 1],
      affine: new Float64Array([1.5, 0, 0, -10.25, 0, 1, 0, 3, 0, 0, 2, 7, 0, 0, 0, 1]),
      data: new Int16Array([-3, 0, 7, 32767, -32768, 5]),
      nested: { channels: { t1: new Float32Array([0.5, -1e-7, 3.25]) }, mask: new Uint8Array([1, 0, 1]) },
      list: [new Uint16Array([9]), 'x'],
    };
    expect(hasArtifact(dir, 'case')).toBe(false);
    await writeArtifact(dir, 'case', value);
    expect(hasArtifact(dir, 'case')).toBe(true);
    const schema = z.object({
      dims: z.array(z.number()),
      affine: z.instanceof(Float64Array),
      data: z.instanceof(Int16Array),
      nested: z.object({ channels: z.object({ t1: z.instanceof(Float32Array) }), mask: z.instanceof(Uint8Array) }),
      list: z.tuple([z.instanceof(Uint16Array), z.string()]),
    });
    const back = await readArtifact(dir, 'case', schema);
    expect(back).toEqual(value);
    expect(back.data).toBeInstanceOf(Int16Array);
    expect(back.nested.channels.t1).toBeInstanceOf(Float32Array);
    expect(JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).dims).toEqual([3, 2, 1]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(5);
  });

  it('a truncated voxel file is an error, not silently short data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'art-'));
    await writeArtifact(dir, 'v', { data: new Float32Array(10) });
    truncateSync(join(dir, 'v.0.bin'), 20);
    await expect(readArtifact(dir, 'v', z.unknown())).rejects.toThrow(/holds 5 values, expected 10/);
  });
});
