import { z } from 'zod';

/** Radiologist review of delivered results, tissue results and real-world monitoring (docs/review.md). */
export const reviewSection = z
  .object({
    /** VerifyingOrganization of review SRs (Type 1); empty: node.name. */
    organisation: z.string().max(64).default(''),
    /** Issue a review SR (VERIFIED, superseding the AI SR) for every decision and deliver it like every result. */
    issueSr: z.boolean().default(true),
    /** A corrected result counts as agreeing (drift alert) when its whole-tumour Dice is at least this. */
    agreementMinDice: z.number().min(0).max(1).default(0.8),
    /** Calibration curves are drawn once a head has this many tissue results. */
    calibrationMinCases: z.number().int().min(2).default(20),
    drift: z
      .object({
        enabled: z.boolean().default(true),
        /** The last N reviewed cases of one model version are looked at... */
        window: z.number().int().min(1).default(20),
        /** ...and the alert fires when the share of them that agreed with the AI falls below this. */
        minAgreement: z.number().min(0).max(1).default(0.7),
      })
      .strict()
      .prefault({}),
  })
  .strict();
