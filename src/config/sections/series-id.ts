import { z } from 'zod';

const overrideRule = z
  .object({
    /** Case-insensitive regex matched against the field. */
    pattern: z.string().min(1),
    field: z.enum(['SeriesDescription', 'ProtocolName', 'SequenceName']).default('SeriesDescription'),
    role: z.enum(['t1', 't1ce', 't2', 'flair', 'other']),
  })
  .strict();

/** Series identification: site rules that win over the built-in ones. */
export const seriesIdSection = z
  .object({
    overrides: z.array(overrideRule).default([]),
  })
  .strict();
