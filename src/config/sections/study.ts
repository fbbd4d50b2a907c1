import { z } from 'zod';

/** When a study counts as complete ("ready"). */
export const studySection = z
  .object({
    /** Seconds without a new instance after which a study is ready. */
    quietPeriodSeconds: z.number().positive().default(30),
  })
  .strict();
