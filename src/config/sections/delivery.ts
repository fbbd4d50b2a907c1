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

/**
 * Whether results can go anywhere: delivery.to names a destination, or replies to the sender are on and a DIMSE
 * destination exists for it. Without either, jobs finish with their results only on the node.
 */
export function deliveryConfigured(cfg: { delivery: { to: readonly string[]; replyToSender: boolean }; destinations: ReadonlyArray<{ type: string }> }): boolean {
  return cfg.delivery.to.length > 0 || (cfg.delivery.replyToSender && cfg.destinations.some((d) => d.type === 'dimse'));
}
