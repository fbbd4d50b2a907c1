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
    /**
     * At a graceful stop, how long a worker inside one onnxruntime call (one window of a model run, or a session being
     * opened) is waited for before it is terminated anyway. Terminating inside the call aborts the process, so the
     * stop is then no longer clean (the job still resumes at the next start). Keep it under systemd's
     * TimeoutStopSec (90 s in deploy/systemd) less the few seconds the receivers take to close.
     */
    stopWaitSeconds: z.number().int().min(1).max(3600).default(60),
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
