/**
 * A slice whose native Pixel Data is too short (stored by an older node, or read from files) is left out of the
 * volume with a warning instead of failing the series: at the edge the volume is one slice
 * shorter; in the middle the gap follows the missing-slice rule (refused, or interpolated when allowed).
 */
import { writeSeries } from '../../src/synth/series-writer';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import { VolumeBuildError } from '../../src/imaging/volume-errors';
import { shortenedPixelData } from '../helpers/damaged-dicom';
import { AXIAL, ch2Series, type ScanPlan } from './helpers/ch2-series';

const PLAN: ScanPlan = { ...AXIAL, spacing: [3, 3, 4], dims: [32, 32, 8], offset: -20 };

async function slices(): Promise<Buffer[]> {
  return (await writeSeries(ch2Series(PLAN), {}, { seed: 'damaged' })).instances.map((i) => i.buffer);
}

it('leaves a damaged edge slice out with a warning; the rest builds', async () => {
  const s = await slices();
  const built = await buildSeriesVolume([shortenedPixelData(s[0]!), ...s.slice(1)]);
  expect(built.volume.dims).toEqual([32, 32, 7]);
  const w = built.warnings.find((x) => x.code === 'damaged-slice-dropped');
  expect(w?.message).toMatch(/left out: Pixel Data holds 1024 bytes, fewer than the 2048 that Rows 32 × Columns 32/);
});

it('a damaged middle slice leaves a gap that follows the missing-slice rule', async () => {
  const s = await slices();
  const damaged = [...s.slice(0, 4), shortenedPixelData(s[4]!), ...s.slice(5)];
  const err = (await buildSeriesVolume(damaged).catch((e: unknown) => e)) as VolumeBuildError;
  expect(err).toBeInstanceOf(VolumeBuildError);
  expect(err.reason).toBe('missing-slice');
  expect(err.message).toMatch(/missing slices .*; instance [\d.]+ left out: Pixel Data holds 1024 bytes/);
  const allowed = await buildSeriesVolume(damaged, { allowMissingSlices: true });
  expect(allowed.volume.dims[2]).toBe(8);
  expect(allowed.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['damaged-slice-dropped', 'non-uniform-spacing-resampled']));
});
