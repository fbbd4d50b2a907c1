import { z } from 'zod';
import { aeTitleSchema } from './dimse';
import { inlineOrFileSecret } from './secret';
import { dimseClientTlsSection } from './tls';

const destinationAuth = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('basic'), username: z.string(), password: z.string().optional(), passwordFile: z.string().min(1).optional() }).strict(),
    z.object({ type: z.literal('bearer'), token: z.string().min(1).optional(), tokenFile: z.string().min(1).optional() }).strict(),
  ])
  .transform((a, ctx) =>
    a.type === 'basic'
      ? { type: a.type, username: a.username, password: inlineOrFileSecret(a.password, a.passwordFile, 'password', ctx) ?? '' }
      : { type: a.type, token: inlineOrFileSecret(a.token, a.tokenFile, 'token', ctx) ?? '' },
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
