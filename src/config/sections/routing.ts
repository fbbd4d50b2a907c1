import { z } from 'zod';
import { MODEL_ROLES } from '../../series-id/roles';

const regex = z.string().refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

/** Conditions on an incoming study; every condition given must hold (docs/routing.md). */
const studyFilter = z
  .object({
    /** DIMSE calling AE titles (exact, case-insensitive) that sent any instance of the study. */
    callingAeTitles: z.array(z.string().min(1)).optional(),
    /** Authenticated STOW-RS users that sent any instance. */
    users: z.array(z.string().min(1)).optional(),
    /** At least one series has one of these modalities (e.g. MR). */
    modalities: z.array(z.string().min(1)).optional(),
    /** At least one series has one of these BodyPartExamined values (e.g. BRAIN, HEAD). */
    bodyParts: z.array(z.string().min(1)).optional(),
    /** StudyDescription matches (case-insensitive regular expression). */
    studyDescription: regex.optional(),
    /** StationName of any series matches (case-insensitive regular expression). */
    stationName: regex.optional(),
    /** Patient age in years at the study date (PatientAge, else PatientBirthDate and StudyDate). */
    minAgeYears: z.number().min(0).optional(),
    maxAgeYears: z.number().min(0).optional(),
  })
  .strict();

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

const rule = z
  .object({
    name: z.string().min(1),
    when: studyFilter.prefault({}),
    /** process = run the pipeline; ignore = keep the study (QIDO/WADO) but make no results. */
    action: z.enum(['process', 'ignore']).default('process'),
    /**
     * Completion trigger in addition to the quiet period: the study is ready as soon as these roles are identified
     * and their series have had no new instance for routing.seriesQuietSeconds.
     */
    requireRoles: z.array(z.enum(MODEL_ROLES)).default([]),
    /** Queue order among ready jobs. */
    priority: z.enum(PRIORITIES).default('normal'),
    /** Only these models (default: models.routing decides). */
    models: z.array(z.string().min(1)).optional(),
    /** These destinations instead of delivery.to. */
    destinations: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** Routing and completion rules, first match wins (docs/routing.md). No rules = every study is processed. */
export const routingSection = z
  .object({
    rules: z.array(rule).default([]),
    /** What happens to a study that no rule matches (only when rules are configured). */
    unmatched: z.enum(['process', 'ignore']).default('ignore'),
    /** A required series counts as complete once it has had no new instance for this long. */
    seriesQuietSeconds: z.number().min(0).default(5),
  })
  .strict();

export type RoutingRuleConfig = z.infer<typeof rule>;
export type RoutingConfig = z.infer<typeof routingSection>;
