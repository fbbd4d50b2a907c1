/**
 * The inter-series registration stage's artifact (registration-<model>.json in the job folder, and
 * PreparedCase.registration): what was registered to what, with which engine, and per series the transform, the
 * checks before/after and whether it was used. The SR's provenance is written from it.
 */
import { z } from 'zod';
import { MODEL_ROLES } from '../series-id/roles';

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

export const seriesRegistrationSchema = z
  .object({
    role: z.enum(MODEL_ROLES),
    seriesInstanceUid: z.string(),
    /** aligned: volumes resampled through the transform; refused (sanity check) / failed (engine error): DICOM geometry kept. */
    outcome: z.enum(['aligned', 'refused', 'failed']),
    /** Why refused or failed. */
    reason: z.string().optional(),
    /** Rotation angle of the rigid transform (degrees). */
    rotationDeg: z.number(),
    /** Displacement of the reference's head centre (mm, LPS). */
    translationMm: vec3,
    /** p_series = transform · p_reference, row-major 4x4 on patient LPS mm (identity when failed). */
    transform: z.array(z.number()).length(16),
    /** Mutual information (nats, 32 bins) with the reference on the registration grid, at DICOM geometry and after. */
    metric: z.object({ name: z.string(), before: z.number(), after: z.number() }).strict(),
    /** Head-mask Dice with the reference on the registration grid, before and after. */
    headOverlap: z.object({ before: z.number(), after: z.number() }).strict(),
    elapsedMs: z.number(),
  })
  .strict();

export const registrationReportSchema = z
  .object({
    /** 'rigid' when series were registered; 'off' when the stage was switched off (no series entries). */
    method: z.enum(['rigid', 'off']),
    description: z.string(),
    engine: z.object({ name: z.string(), implementation: z.string(), version: z.string() }).strict().optional(),
    referenceRole: z.enum(MODEL_ROLES),
    referenceSeriesInstanceUid: z.string(),
    /** Isotropic voxel size (mm) the images were registered at. */
    samplingMm: z.number().optional(),
    series: z.array(seriesRegistrationSchema),
  })
  .strict();

export type SeriesRegistration = z.infer<typeof seriesRegistrationSchema>;
export type RegistrationReport = z.infer<typeof registrationReportSchema>;
