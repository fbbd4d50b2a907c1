import { z } from 'zod';

/** The placeholder an OHIF link template must contain; replaced by the study's (URL-encoded) Study Instance UID. */
export const OHIF_STUDY_PLACEHOLDER = '{studyInstanceUid}';

/** What the result pages offer beyond the node's own data (docs/web-ui.md). */
export const uiPagesSection = z
  .object({
    /**
     * A site's own OHIF viewer, as a URL template with {studyInstanceUid}, e.g.
     * https://ohif.example.org/viewer?StudyInstanceUIDs={studyInstanceUid}. Unset: no "Open in OHIF" link.
     */
    ohifUrl: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL template')
      .refine((u) => u.includes(OHIF_STUDY_PLACEHOLDER), `must contain ${OHIF_STUDY_PLACEHOLDER}`)
      .optional(),
    /**
     * Serve the plain-language patient page (/ui/jobs/{id}/patient). Off by default: the models are research
     * models trained on synthetic data, so a site turns this on only after reviewing the wording for its patients.
     */
    patientPage: z.boolean().default(false),
    /**
     * Show survival heads' population figures on the patient page (the result page always shows them). Off by
     * default: survival figures need a conversation, and the reference head learned from synthetic outcomes.
     */
    patientSurvival: z.boolean().default(false),
  })
  .strict();

export type UiPagesConfig = z.infer<typeof uiPagesSection>;

/** The site's OHIF link for a study, or undefined when no OHIF is configured. Pure. */
export function ohifLink(template: string | undefined, studyInstanceUid: string): string | undefined {
  return template?.split(OHIF_STUDY_PLACEHOLDER).join(encodeURIComponent(studyInstanceUid));
}
