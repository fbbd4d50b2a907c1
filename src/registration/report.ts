/**
 * The inter-series registration stage's artifact (registration-<model>.json in the job folder, also carried in
 * PreparedCase.registration and Findings.registration): what was registered to what, with which engine, and per
 * series the transform, the checks before/after and whether it was used. The SR's provenance is written from it.
 * Loose objects, like the other stage-output schemas: fields a newer writer adds pass through.
 */
import { z } from 'zod';
import { MODEL_ROLES, type ModelRole } from '../series-id/roles';
import type { Vec3 } from '../imaging/volume';

export interface SeriesRegistration {
  role: ModelRole;
  seriesInstanceUid: string;
  /** aligned: sampled through the transform; refused (sanity check) / failed (engine error): DICOM geometry kept. */
  outcome: 'aligned' | 'refused' | 'failed';
  /** Why refused or failed. */
  reason?: string;
  /** Rotation angle of the rigid transform (degrees). */
  rotationDeg: number;
  /** Displacement of the reference's head centre (mm, LPS). */
  translationMm: Vec3;
  /** p_series = transform · p_reference, row-major 4x4 on patient LPS mm (identity when failed). */
  transform: number[];
  /** Mutual information with the reference on the registration grid, at DICOM geometry and after. */
  metric: { name: string; before: number; after: number };
  /** Head-mask Dice with the reference on the registration grid, before and after. */
  headOverlap: { before: number; after: number };
  elapsedMs: number;
}

export interface RegistrationReport {
  /** 'rigid' when series were registered; 'off' when the stage was switched off or had one series (no entries). */
  method: 'rigid' | 'off';
  description: string;
  engine?: { name: string; implementation: string; version: string };
  referenceRole: ModelRole;
  referenceSeriesInstanceUid: string;
  /** Isotropic voxel size (mm) the images were registered at. */
  samplingMm?: number;
  series: SeriesRegistration[];
}

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

export const seriesRegistrationSchema: z.ZodType<SeriesRegistration> = z.looseObject({
  role: z.enum(MODEL_ROLES),
  seriesInstanceUid: z.string(),
  outcome: z.enum(['aligned', 'refused', 'failed']),
  reason: z.string().optional(),
  rotationDeg: z.number(),
  translationMm: vec3,
  transform: z.array(z.number()).length(16),
  metric: z.looseObject({ name: z.string(), before: z.number(), after: z.number() }),
  headOverlap: z.looseObject({ before: z.number(), after: z.number() }),
  elapsedMs: z.number(),
});

export const registrationReportSchema: z.ZodType<RegistrationReport> = z.looseObject({
  method: z.enum(['rigid', 'off']),
  description: z.string(),
  engine: z.looseObject({ name: z.string(), implementation: z.string(), version: z.string() }).optional(),
  referenceRole: z.enum(MODEL_ROLES),
  referenceSeriesInstanceUid: z.string(),
  samplingMm: z.number().optional(),
  series: z.array(seriesRegistrationSchema),
});
