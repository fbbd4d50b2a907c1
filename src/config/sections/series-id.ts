import { z } from 'zod';

/** A regex that compiles; the error names the problem so `neuro-onc-node config` can report it by path. */
const regexSource = z
  .string()
  .min(1)
  .superRefine((src, ctx) => {
    try {
      new RegExp(src, 'i');
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression /${src}/: ${(e as Error).message}` });
    }
  });

const overrideRule = z
  .object({
    /** Case-insensitive regex matched against the field (raw value, as in the DICOM header). */
    pattern: regexSource,
    field: z.enum(['SeriesDescription', 'ProtocolName', 'SequenceName']).default('SeriesDescription'),
    role: z.enum(['t1', 't1ce', 't2', 'flair', 'other']),
  })
  .strict();

/** Series identification: site rules that win over the built-in ones, and the evidence thresholds. */
export const seriesIdSection = z
  .object({
    /** First matching rule wins; it decides the role regardless of the built-in rules (the reasons say so). */
    overrides: z.array(overrideRule).default([]),
    /** A series needs at least this score for a role; below it the role is `other` ("not enough evidence"). */
    minConfidence: z.number().min(0).max(1).default(0.5),
    /** Series with fewer images cannot make a volume (localizers, single screenshots). */
    minImages: z.number().int().min(1).default(10),
  })
  .strict();

export type SeriesIdConfig = z.infer<typeof seriesIdSection>;
export type SeriesIdOverrideRule = z.infer<typeof overrideRule>;
