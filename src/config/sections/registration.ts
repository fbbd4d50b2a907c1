import { z } from 'zod';

/**
 * Inter-series co-registration before the model grid (src/registration). `auto`: each model's series are rigidly
 * registered to its reference series unless the model's manifest says `preprocessing.registration.interSeries:
 * "none"`; `off`: series are placed by their DICOM geometry alone (the behaviour before registration existed).
 */
export const registrationSection = z
  .object({
    interSeries: z.enum(['auto', 'off']).default('auto'),
    /** Isotropic voxel size (mm) series are registered at: finer is more exact on thick-slice series (the per-iteration cost does not grow with it, the image pyramids do). */
    samplingMm: z.number().min(1).max(8).default(2),
  })
  .strict();
