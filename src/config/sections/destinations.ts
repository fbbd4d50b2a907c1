import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { aeTitleSchema } from './dimse';
import { dimseClientTlsSection } from './tls';

/**
 * A secret given inline, or as a file to read at start (passwordFile / tokenFile: systemd credentials, container
 * secrets), so that it need not be written in the configuration. A file's trailing newline is not part of it.
 * Inline secrets can also come from the environment: NEURO_ONC__DESTINATIONS__0__AUTH__PASSWORD.
 */
function secret(inline: string | undefined, file: string | undefined, field: string, ctx: z.RefinementCtx): string {
  if ((inline === undefined) === (file === undefined)) {
    ctx.addIssue({ code: 'custom', path: [field], message: `give exactly one of ${field} and ${field}File` });
    return '';
  }
  if (inline !== undefined) return inline;
  try {
    const value = readFileSync(file!, 'utf8').replace(/\r?\n$/, '');
    if (!value) ctx.addIssue({ code: 'custom', path: [`${field}File`], message: `${file} is empty` });
    return value;
  } catch (e) {
    ctx.addIssue({ code: 'custom', path: [`${field}File`], message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return '';
  }
}

const destinationAuth = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('basic'), username: z.string(), password: z.string().optional(), passwordFile: z.string().min(1).optional() }).strict(),
    z.object({ type: z.literal('bearer'), token: z.string().min(1).optional(), tokenFile: z.string().min(1).optional() }).strict(),
  ])
  .transform((a, ctx) =>
    a.type === 'basic'
      ? { type: a.type, username: a.username, password: secret(a.password, a.passwordFile, 'password', ctx) }
      : { type: a.type, token: secret(a.token, a.tokenFile, 'token', ctx) },
  );

const dicomwebDestination = z
  .object({
    name: z.string().min(1),
    type: z.literal('dicomweb'),
    /** Base URL of the DICOMweb service, e.g. http://pacs:8042/dicom-web */
    url: z.string().url(),
    auth: destinationAuth.optional(),
    /** Path to a PEM CA bundle for TLS peers with a private CA. */
    caFile: z.string().optional(),
  })
  .strict();

const dimseDestination = z
  .object({
    name: z.string().min(1),
    type: z.literal('dimse'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    aeTitle: aeTitleSchema,
    /** Our calling AE title for this peer (default: dimse.aeTitle). */
    callingAeTitle: aeTitleSchema.optional(),
    /** Connect with DICOM TLS (the peer's TLS port): CA of its certificate, our client certificate and key. */
    tls: dimseClientTlsSection.optional(),
  })
  .strict();

/** PACS and other peers the node can send results to (and echo). */
export const destinationsSection = z.array(z.discriminatedUnion('type', [dicomwebDestination, dimseDestination])).default([]);

export type Destination = z.infer<typeof destinationsSection>[number];
