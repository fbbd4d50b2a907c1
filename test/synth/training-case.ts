/** Shared by the training-set export tests (not a test file): a small model grid and reading an exported case. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePreprocessSpec, type TrainingSetOptions } from '../../src/synth/training-export';

/** A small grid keeps the tests quick; the spec goes through the same JSON path as --grid. */
export const SMALL_SPEC = parsePreprocessSpec({
  grid: { spacing: [3, 3, 3], size: [64, 72, 60], orientation: 'LPS', centre: 'head-centroid' },
  normalisation: { method: 'zscore', clipPercentiles: [0.5, 99.5], mask: 'head' },
  referenceRoles: ['t1ce', 't1', 'flair', 't2'],
});

/** Export options on SMALL_SPEC with a DICOM round trip; `defaults` are each test file's own, `over` a test's. */
export function trainingOptions(
  outDir: string, defaults: Omit<TrainingSetOptions, 'outDir' | 'spec' | 'roundTrip'>, over: Partial<TrainingSetOptions> = {},
): TrainingSetOptions {
  return { outDir, ...defaults, spec: SMALL_SPEC, roundTrip: true, ...over };
}

/** One exported case: case.json, the [4, nz, ny, nx] float32 channels and the uint8 labels. */
export function readCase(dir: string) {
  const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  const [nz, ny, nx] = meta.shape as number[];
  const n = nx! * ny! * nz!;
  const ib = readFileSync(join(dir, 'image.f32'));
  const image = new Float32Array(ib.buffer.slice(ib.byteOffset, ib.byteOffset + ib.byteLength));
  const labels = new Uint8Array(readFileSync(join(dir, 'labels.u8')));
  return { meta, n, image, labels };
}
