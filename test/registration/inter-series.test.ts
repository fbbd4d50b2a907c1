/**
 * The inter-series stage on the phantom: an implausible head motion (25 deg) is found but refused with a warning and
 * the series keeps its DICOM geometry; a plausible one is applied to the affine only (voxels untouched); 'off' does
 * nothing. The sanity verdicts themselves are pure.
 */
import type { SeriesVolume } from '../../src/imaging/volume';
import { DEFAULT_INTER_SERIES, refusal, registerInterSeries } from '../../src/registration/inter-series';
import { registrationReportSchema } from '../../src/registration/report';
import { grid, motion, sample } from './phantom';

function series(uid: string, headMotion: Float64Array, contrast: number): SeriesVolume {
  const dims: [number, number, number] = [48, 60, 46];
  const v = sample(dims, grid(dims, [3.4, 3.4, 3.4]), headMotion, contrast);
  return { ...v, seriesInstanceUid: uid, sources: [], imageOrientationPatient: [1, 0, 0, 0, 1, 0] };
}

const settings = { ...DEFAULT_INTER_SERIES, samplingMm: 5, resolutions: 2, iterations: 150 };

describe('sanity verdicts (pure)', () => {
  it('refuses too much rotation, too much translation, poor or worsened head overlap; accepts a plausible result', () => {
    const ok = { before: 0.9, after: 0.97 };
    expect(refusal(5, [3, 4, 0], ok, settings)).toBeUndefined();
    expect(refusal(16, [0, 0, 0], ok, settings)).toBe('rotation 16.0 deg exceeds 15 deg');
    expect(refusal(1, [12, 12, 12], ok, settings)).toBe('translation 20.8 mm exceeds 20 mm');
    expect(refusal(1, [0, 0, 0], { before: 0.7, after: 0.8 }, settings)).toMatch(/head-mask overlap 0\.800 after registration is below 0\.85/);
    expect(refusal(1, [0, 0, 0], { before: 0.97, after: 0.9 }, settings)).toBe('head-mask overlap fell from 0.970 to 0.900');
  });
});

describe('registerInterSeries on the phantom', () => {
  jest.setTimeout(300000);
  const reference = series('1.2.3.1', motion([0, 0, 0], [0, 0, 0]), 0);

  it("'off' returns the volumes unchanged and says so", async () => {
    const t2 = series('1.2.3.2', motion([3, 0, 0], [0, 2, 0]), 1);
    const out = await registerInterSeries({ volumes: { t1ce: reference, t2 }, settings: { ...settings, mode: 'off' } });
    expect(out.volumes.t2).toBe(t2);
    expect(out.report).toMatchObject({ method: 'off', referenceRole: 't1ce', series: [] });
  });

  it('applies a plausible motion to the affine only and refuses an implausible one (DICOM geometry kept, warning)', async () => {
    const flair = series('1.2.3.3', motion([0, 0, 4], [3, -3, 2]), 1);
    const t1 = series('1.2.3.4', motion([0, 0, 25], [0, 0, 0]), 1);
    const out = await registerInterSeries({ volumes: { t1ce: reference, flair, t1 }, settings });
    expect(() => registrationReportSchema.parse(out.report)).not.toThrow();
    const byRole = Object.fromEntries(out.report.series.map((e) => [e.role, e]));
    expect(byRole.flair).toMatchObject({ outcome: 'aligned' });
    expect(byRole.flair!.rotationDeg).toBeGreaterThan(3);
    expect(byRole.flair!.rotationDeg).toBeLessThan(5);
    expect(byRole.flair!.metric.after).toBeGreaterThan(byRole.flair!.metric.before);
    expect(out.volumes.flair!.data).toBe(flair.data);
    expect(Array.from(out.volumes.flair!.affine)).not.toEqual(Array.from(flair.affine));
    expect(byRole.t1).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^rotation 2\d\.\d deg exceeds 15 deg$/) });
    expect(out.volumes.t1!.affine).toBe(t1.affine);
    expect(out.warnings).toEqual([expect.stringMatching(/^T1: registration to T1ce refused \(rotation 2\d\.\d deg exceeds 15 deg\); DICOM geometry used$/)]);
  });
});
