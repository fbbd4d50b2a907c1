import { z } from 'zod';

/** Where results go and how hard the node tries. */
export const deliverySection = z
  .object({
    /** Names from `destinations` that receive every result. */
    to: z.array(z.string().min(1)).default([]),
    /** Also send results back to the AE/peer that sent the study, when it is a configured destination. */
    replyToSender: z.boolean().default(false),
    maxAttempts: z.number().int().min(1).default(6),
    /** First retry delay; doubles each attempt. */
    initialBackoffSeconds: z.number().positive().default(10),
    maxBackoffSeconds: z.number().positive().default(600),
    /** Extra objects for PACS that cannot show SEG/SR. */
    secondaryCapture: z.boolean().default(false),
    encapsulatedPdf: z.boolean().default(false),
  })
  .strict();
