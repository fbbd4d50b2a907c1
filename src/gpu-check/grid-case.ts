/**
 * A case already on the model grid, as `neuro-onc-node synth --training-set` writes it (image.f32: channels one
 * after the other, i fastest; case.json: shape k,j,i, the grid and the channel availability). The GPU check ships
 * one, so the GPU host needs no DICOM decoding and no preprocessing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GridInput } from '../ai/inference';
import type { Vec3 } from '../imaging/volume';
import type { ModelRole } from '../series-id/roles';

interface CaseJson {
  id: string;
  shape: [number, number, number];
  axes: string;
  channels: ModelRole[];
  availability: number[];
  grid: { spacing: Vec3; affine: number[] };
}

export function readGridCase(dir: string): GridInput & { id: string } {
  const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseJson;
  if (meta.axes !== 'kji') throw new Error(`${dir}/case.json: axes ${meta.axes}, expected kji`);
  const dims: Vec3 = [meta.shape[2], meta.shape[1], meta.shape[0]];
  const n = dims[0] * dims[1] * dims[2];
  const raw = readFileSync(join(dir, 'image.f32'));
  if (raw.byteLength !== meta.channels.length * n * 4) {
    throw new Error(`${dir}/image.f32 has ${raw.byteLength} bytes, ${meta.channels.length} channels of ${dims.join('x')} float32 need ${meta.channels.length * n * 4}`);
  }
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const channels: GridInput['channels'] = {};
  meta.channels.forEach((role, c) => {
    if (meta.availability[c]) channels[role] = all.subarray(c * n, (c + 1) * n);
  });
  return { id: meta.id, dims, spacing: meta.grid.spacing, affine: Float64Array.from(meta.grid.affine), channels };
}
