import { z } from 'zod';

const tlsServerShape = {
  /** PEM certificate (chain) the node presents. */
  certFile: z.string().min(1),
  /** PEM private key of certFile. */
  keyFile: z.string().min(1),
  /** PEM CA bundle that signs the peers' client certificates (needed when clientCertificates is not "none"). */
  caFile: z.string().min(1).optional(),
  /** Mutual TLS: "require" refuses connections without a client certificate signed by caFile. */
  clientCertificates: z.enum(['none', 'request', 'require']).default('none'),
};

function needsCa(t: { clientCertificates: string; caFile?: string }, ctx: z.RefinementCtx): void {
  if (t.clientCertificates !== 'none' && !t.caFile) {
    ctx.addIssue({ code: 'custom', path: ['caFile'], message: `clientCertificates "${t.clientCertificates}" needs caFile (the CA that signs client certificates)` });
  }
}

/** TLS for a server of the node (HTTPS: http.tls). */
export const tlsServerSection = z.object(tlsServerShape).strict().superRefine(needsCa);

/**
 * DICOM TLS for the SCP (dimse.tls): PS3.15 Basic/BCP 195 TLS Secure Transport Connection Profile on its own port
 * (2762 is the registered "dicom-tls" port). Client certificates are required by default, as the profile expects.
 */
export const dimseTlsSection = z
  .object({
    ...tlsServerShape,
    clientCertificates: z.enum(['none', 'request', 'require']).default('require'),
    port: z.number().int().min(0).max(65535).default(2762),
    /** Keep the unencrypted listener on dimse.port as well (false: TLS only). */
    alsoPlain: z.boolean().default(true),
  })
  .strict()
  .superRefine(needsCa);

/** TLS towards a DIMSE destination (destinations[].tls). */
export const dimseClientTlsSection = z
  .object({
    /** PEM CA bundle that signs the peer's certificate (default: the system's trusted CAs). */
    caFile: z.string().min(1).optional(),
    /** Our client certificate and key, for peers that require one (most DICOM TLS peers do). */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** Name to check the peer's certificate against (default: the destination's host). */
    servername: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => !t.certFile === !t.keyFile, { message: 'certFile and keyFile go together', path: ['keyFile'] });
