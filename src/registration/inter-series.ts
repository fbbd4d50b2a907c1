/**
 * The inter-series registration stage: every selected series is rigidly registered (Mattes mutual information,
 * multi-resolution, elastix) to the reference series (T1ce, else FLAIR, or as the manifest says), on coarse copies of
 * both. An accepted result replaces the series' affine by inv(T) · A, so the one resampling to the model grid that
 * follows goes through the transform (no extra interpolation). A result that fails the sanity checks (too large,
 * head masks overlapping less than a threshold or less than before) is refused with a warning, and the series keeps
 * its DICOM geometry.
 */
import type { Mat4 } from '../imaging/affine';
import { identity4 } from '../imaging/affine';
import { headCentroid } from '../imaging/to-model-grid';
import type { SeriesVolume, Vec3 } from '../imaging/volume';
import { ROLE_NAMES, type ModelRole } from '../series-id/roles';
import { displacementAt, rotationAngleDeg, scoreAlignment } from './alignment-checks';
import { alignedAffine, atSpacing, elastixEngine, register, type RegisterOptions } from './elastix-engine';
import type { RegistrationReport, SeriesRegistration } from './report';

export interface InterSeriesSettings {
  mode: 'rigid' | 'off';
  /** Roles tried in order as the reference. */
  referenceRoles: ModelRole[];
  /** Isotropic voxel size (mm) both images are registered at. */
  samplingMm: number;
  resolutions: number;
  iterations: number;
  /** Sanity limits: larger transforms are refused (patients do not move that much inside a coil). */
  maxRotationDeg: number;
  maxTranslationMm: number;
  /** Head-mask Dice with the reference after registration must reach this. */
  minHeadOverlap: number;
}

export const DEFAULT_INTER_SERIES: InterSeriesSettings = {
  mode: 'rigid',
  referenceRoles: ['t1ce', 'flair'],
  samplingMm: 2,
  resolutions: 3,
  iterations: 200,
  maxRotationDeg: 15,
  maxTranslationMm: 20,
  minHeadOverlap: 0.85,
};

export interface InterSeriesInput {
  volumes: Partial<Record<ModelRole, SeriesVolume>>;
  settings: InterSeriesSettings;
}

export interface InterSeriesOutput {
  /** The same volumes; aligned ones with their corrected affine (voxels untouched). */
  volumes: Partial<Record<ModelRole, SeriesVolume>>;
  report: RegistrationReport;
  warnings: string[];
}

/** The reference role: the first of `referenceRoles` present, else the first present role. */
export function registrationReference(volumes: Partial<Record<ModelRole, SeriesVolume>>, referenceRoles: ModelRole[]): ModelRole | undefined {
  return referenceRoles.find((r) => volumes[r]) ?? (Object.keys(volumes) as ModelRole[]).find((r) => volumes[r]);
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

/** The sanity verdict on one result: a reason to refuse it, or undefined. */
export function refusal(rotationDeg: number, translationMm: Vec3, overlap: { before: number; after: number }, s: InterSeriesSettings): string | undefined {
  const shift = Math.hypot(...translationMm);
  if (rotationDeg > s.maxRotationDeg) return `rotation ${rotationDeg.toFixed(1)} deg exceeds ${s.maxRotationDeg} deg`;
  if (shift > s.maxTranslationMm) return `translation ${shift.toFixed(1)} mm exceeds ${s.maxTranslationMm} mm`;
  if (overlap.after < s.minHeadOverlap) return `head-mask overlap ${overlap.after.toFixed(3)} after registration is below ${s.minHeadOverlap}`;
  if (overlap.after < overlap.before - 0.01) return `head-mask overlap fell from ${overlap.before.toFixed(3)} to ${overlap.after.toFixed(3)}`;
  return undefined;
}

export async function registerInterSeries(input: InterSeriesInput): Promise<InterSeriesOutput> {
  const s = input.settings;
  const referenceRole = registrationReference(input.volumes, s.referenceRoles);
  if (!referenceRole) throw new Error('inter-series registration: no volumes');
  const reference = input.volumes[referenceRole]!;
  const base = { referenceRole, referenceSeriesInstanceUid: reference.seriesInstanceUid };
  const movingRoles = (Object.keys(input.volumes) as ModelRole[]).filter((r) => r !== referenceRole && input.volumes[r]);
  if (s.mode === 'off' || !movingRoles.length) {
    return { volumes: input.volumes, report: { method: 'off', description: s.mode === 'off' ? 'switched off: DICOM geometry used' : 'one series only', ...base, series: [] }, warnings: [] };
  }
  // A missing engine must not fail the study: every series then keeps its DICOM geometry ('failed', with the reason).
  let engine: ReturnType<typeof elastixEngine>['info'] | undefined;
  let engineError: string | undefined;
  try {
    engine = elastixEngine().info;
  } catch (e) {
    engineError = (e as Error).message;
  }
  const fixed = atSpacing(reference, s.samplingMm);
  const centre = headCentroid(reference);
  const options: RegisterOptions = { stages: ['rigid'], resolutions: s.resolutions, iterations: s.iterations };
  const identity = identity4();
  const before = new Map(movingRoles.map((r) => [r, scoreAlignment(fixed, input.volumes[r]!, identity)]));
  // One worker thread each: they run side by side on a multi-core machine.
  const results = await Promise.all(
    movingRoles.map(async (role): Promise<{ role: ModelRole; entry: SeriesRegistration; transform?: Mat4 }> => {
      const v = input.volumes[role]!;
      const t0 = Date.now();
      const b = before.get(role)!;
      const common = { role, seriesInstanceUid: v.seriesInstanceUid };
      try {
        if (engineError) throw new Error(engineError);
        const r = await register(fixed, atSpacing(v, s.samplingMm), options);
        const after = scoreAlignment(fixed, v, r.fixedToMoving);
        const rotationDeg = rotationAngleDeg(r.fixedToMoving);
        const translationMm = displacementAt(r.fixedToMoving, centre);
        const overlap = { before: round(b.headOverlap), after: round(after.headOverlap) };
        const reason = refusal(rotationDeg, translationMm, overlap, s);
        const entry: SeriesRegistration = {
          ...common,
          outcome: reason ? 'refused' : 'aligned',
          ...(reason ? { reason } : {}),
          rotationDeg: round(rotationDeg),
          translationMm: translationMm.map((x) => round(x)) as Vec3,
          transform: Array.from(r.fixedToMoving),
          metric: { name: 'mutual information (nats, 32 bins)', before: round(b.mutualInformation, 4), after: round(after.mutualInformation, 4) },
          headOverlap: overlap,
          elapsedMs: Date.now() - t0,
        };
        return { role, entry, ...(reason ? {} : { transform: r.fixedToMoving }) };
      } catch (e) {
        const entry: SeriesRegistration = {
          ...common, outcome: 'failed', reason: (e as Error).message, rotationDeg: 0, translationMm: [0, 0, 0], transform: Array.from(identity),
          metric: { name: 'mutual information (nats, 32 bins)', before: round(b.mutualInformation, 4), after: round(b.mutualInformation, 4) },
          headOverlap: { before: round(b.headOverlap), after: round(b.headOverlap) }, elapsedMs: Date.now() - t0,
        };
        return { role, entry };
      }
    }),
  );
  const volumes = { ...input.volumes };
  const warnings: string[] = [];
  for (const { role, entry, transform } of results) {
    if (transform) volumes[role] = { ...volumes[role]!, affine: alignedAffine(volumes[role]!.affine, transform) };
    else warnings.push(`${ROLE_NAMES[role]}: registration to ${ROLE_NAMES[referenceRole]} ${entry.outcome} (${entry.reason}); DICOM geometry used`);
  }
  return {
    volumes,
    report: {
      method: 'rigid',
      description: `rigid (6 parameters) to ${ROLE_NAMES[referenceRole]}, Mattes mutual information, ${s.resolutions} resolutions, ${s.samplingMm} mm`,
      ...(engine ? { engine } : {}),
      ...base,
      samplingMm: s.samplingMm,
      series: results.map((r) => r.entry),
    },
    warnings,
  };
}
