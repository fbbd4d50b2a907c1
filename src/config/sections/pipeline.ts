import { z } from 'zod';

/** The processing pipeline. */
export const pipelineSection = z
  .object({
    /** How many studies run through the pipeline at once (inference is also queued separately). */
    concurrency: z.number().int().min(1).default(1),
    maxAttempts: z.number().int().min(1).default(3),
    /**
     * Worker threads for the CPU-bound stage work (volumes, resampling, model runs, radiomics, encoding), so the
     * event loop keeps serving STOW-RS, C-STORE, the API and the pages while a study is processed. Each worker
     * holds its own onnxruntime sessions. 0 = run that work in the event-loop thread (not recommended for serve).
     */
    workers: z.number().int().min(0).default(1),
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
