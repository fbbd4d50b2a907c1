/**
 * A node whose registration engine is not installed still processes the study: every series is marked 'failed' with
 * the reason and keeps its DICOM geometry. (A mock: an uninstalled npm package cannot be produced in this checkout.)
 */
import { DEFAULT_INTER_SERIES, registerInterSeries } from '../../src/registration/inter-series';
import { grid, motion, sample } from './phantom';

jest.mock('../../src/registration/elastix-engine', () => ({
  ...jest.requireActual('../../src/registration/elastix-engine'),
  elastixEngine: () => {
    throw new Error('registration engine @itk-wasm/elastix is not installed (npm install)');
  },
}));

it('missing @itk-wasm/elastix: series fall back to DICOM geometry with a warning, no throw', async () => {
  const vol = (uid: string) => ({ ...sample([24, 30, 24], grid([24, 30, 24], [6, 6, 6]), motion([0, 0, 2], [1, 0, 0])), seriesInstanceUid: uid, sources: [], imageOrientationPatient: [1, 0, 0, 0, 1, 0] as [number, number, number, number, number, number] });
  const t1ce = vol('1.2.1');
  const flair = vol('1.2.2');
  const out = await registerInterSeries({ volumes: { t1ce, flair }, settings: DEFAULT_INTER_SERIES });
  expect(out.volumes.flair).toBe(flair);
  expect(out.report.series).toEqual([expect.objectContaining({ role: 'flair', outcome: 'failed', reason: 'registration engine @itk-wasm/elastix is not installed (npm install)' })]);
  expect(out.warnings).toEqual(['FLAIR: registration to T1ce failed (registration engine @itk-wasm/elastix is not installed (npm install)); DICOM geometry used']);
});
