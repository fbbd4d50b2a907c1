import { z } from 'zod';

const routingRule = z
  .object({
    model: z.string().min(1),
    /** Run when all of these roles were identified. */
    whenRoles: z.array(z.enum(['t1', 't1ce', 't2', 'flair'])).default([]),
    /** Run when StudyDescription or ReasonForStudy matches (case-insensitive regex). */
    whenStudyMatches: z.string().optional(),
  })
  .strict();

/** Model packages and the ONNX runtime. */
export const modelsSection = z
  .object({
    dir: z.string().min(1).default('./models'),
    /** Tried in order; the first that loads runs (logged). */
    executionProviders: z.array(z.enum(['cuda', 'cpu'])).default(['cuda', 'cpu']),
    intraOpNumThreads: z.number().int().min(0).default(0),
    testTimeAugmentation: z.boolean().default(true),
    routing: z.array(routingRule).default([
      { model: 'glioma-mtl', whenRoles: ['flair'] },
      { model: 'glioma-mtl', whenRoles: ['t2'] },
      { model: 'brainmets-egfr', whenRoles: ['t1ce'], whenStudyMatches: 'metasta|mets\\b|secondar' },
    ]),
  })
  .strict();
