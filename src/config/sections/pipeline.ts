import { z } from 'zod';

/** The processing pipeline. */
export const pipelineSection = z
  .object({
    /** How many studies run through the pipeline at once (inference is also queued separately). */
    concurrency: z.number().int().min(1).default(1),
    maxAttempts: z.number().int().min(1).default(3),
    /** Optional local OpenAI-compatible endpoint for a GMMAS-GPT-style narrative; off by default. */
    llm: z
      .object({
        enabled: z.boolean().default(false),
        url: z.string().url().optional(),
        model: z.string().optional(),
      })
      .strict()
      .default({ enabled: false }),
  })
  .strict();
