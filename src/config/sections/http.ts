import { z } from 'zod';

/** HTTP server: DICOMweb (STOW/QIDO/WADO), job API, web pages. */
export const httpSection = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Largest accepted STOW-RS request body; larger requests get 413 before anything is stored. */
    maxUploadBytes: z.number().int().positive().default(4 * 1024 ** 3),
    /** Base path of the DICOMweb service. */
    dicomwebBasePath: z.string().startsWith('/').default('/dicom-web'),
    /** Serve the web pages under /ui (operator dashboard, result pages; docs/web-ui.md). Put them behind the hospital's reverse proxy / SSO. */
    ui: z.boolean().default(true),
  })
  .strict();
