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
    /**
     * Brain extraction for skull-stripped and template-space models (src/registration/model-space.ts): 'atlas' =
     * Colin27 registered affine + B-spline and its brain mask warped; 'model' = a `brain-extraction` model package
     * in the folder `package` (docs/model-package.md).
     */
    brainExtraction: z
      .object({ method: z.enum(['atlas', 'model']).default('atlas'), package: z.string().min(1).optional() })
      .strict()
      .refine((b) => b.method !== 'model' || !!b.package, { message: 'method "model" needs package (a brain-extraction package folder)', path: ['package'] })
      .prefault({}),
  })
  .strict();
