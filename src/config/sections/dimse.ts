import { z } from 'zod';

const aeTitle = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'AE titles are 1-16 printable ASCII characters without backslash');

/** Classic DICOM networking (DIMSE) SCP and SCU. */
export const dimseSection = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(11112),
    aeTitle: aeTitle.default('NEUROONC'),
    /** Calling AE titles allowed to associate; empty list = accept any. */
    allowedCallingAeTitles: z.array(aeTitle).default([]),
  })
  .strict();

export { aeTitle as aeTitleSchema };
