/**
 * Schemas of the imaging types as they come back from an artifact on disk (src/pipeline/artifacts.ts restores the
 * typed arrays before these run). Loose objects: fields these do not name pass through unchanged.
 */
import { z } from 'zod';
import type { SeriesVolume, SliceSource, Vec3, Volume, VoxelArray } from './volume';
import { VOLUME_WARNING_CODES, type VolumeWarning } from './volume-errors';

export const vec3Schema: z.ZodType<Vec3> = z.tuple([z.number(), z.number(), z.number()]);
export const affineSchema = z.instanceof(Float64Array);
export const voxelArraySchema: z.ZodType<VoxelArray> = z.union([
  z.instanceof(Float32Array),
  z.instanceof(Float64Array),
  z.instanceof(Int16Array),
  z.instanceof(Uint16Array),
  z.instanceof(Uint8Array),
  z.instanceof(Int32Array),
]);

/** A volume whose voxels are checked by `data`. */
export function volumeSchema<T extends VoxelArray>(data: z.ZodType<T>): z.ZodType<Volume<T>> {
  return z.looseObject({ dims: vec3Schema, spacing: vec3Schema, affine: affineSchema, data, frameOfReferenceUid: z.string().optional() });
}

export const sliceSourceSchema: z.ZodType<SliceSource> = z.looseObject({
  sopClassUid: z.string(),
  sopInstanceUid: z.string(),
  frameNumber: z.number().int().positive().optional(),
  imagePositionPatient: vec3Schema,
});

export const seriesVolumeSchema: z.ZodType<SeriesVolume> = z.looseObject({
  dims: vec3Schema,
  spacing: vec3Schema,
  affine: affineSchema,
  data: voxelArraySchema,
  frameOfReferenceUid: z.string().optional(),
  seriesInstanceUid: z.string(),
  sources: z.array(sliceSourceSchema),
  imageOrientationPatient: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]),
  sliceThickness: z.number().optional(),
});

export const volumeWarningSchema: z.ZodType<VolumeWarning> = z.looseObject({
  code: z.enum(VOLUME_WARNING_CODES),
  message: z.string(),
});
