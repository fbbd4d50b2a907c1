import { z } from 'zod';
import { tlsServerSection } from './tls';
import { uiPagesSection } from './ui-pages';

/**
 * What a caller may do: send instances (STOW-RS), read (QIDO/WADO, job and study views, web pages), operate (retry,
 * mark ready, echo), metrics (GET /metrics only: for monitoring, which must not read images), review (accept, reject
 * or correct results and enter tissue results: radiologists, a LIS bridge).
 */
export const accessScopes = ['store', 'read', 'operate', 'metrics', 'review'] as const;
export type AccessScope = (typeof accessScopes)[number];

const httpUser = z
  .object({
    /** Who this is (a PACS router, a reading room, an operator); appears in request logs, never a patient. */
    name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits and . _ @ - only (1 to 64)'),
    /**
     * sha256 (hex) of the user's secret, which is sent as the Bearer token or as the Basic password. The
     * configuration never holds the secret itself; `neuro-onc-node new-secret` makes a random one and prints both.
     */
    secretSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64-hex-digit sha256 of the secret (neuro-onc-node new-secret prints it)'),
    scopes: z.array(z.enum(accessScopes)).min(1),
  })
  .strict();

/** Access control of the HTTP API (docs/security.md). */
export const httpAuthSection = z
  .object({
    /** Callers allowed in. Empty: no authentication (only accepted on a loopback address unless `anonymous` is set). */
    users: z.array(httpUser).default([]),
    /** Serve without authentication on a network address: only when a reverse proxy in front authenticates every request. */
    anonymous: z.boolean().default(false),
  })
  .strict()
  .superRefine((a, ctx) => {
    const names = a.users.map((u) => u.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['users'], message: 'user names must be unique' });
    const hashes = a.users.map((u) => u.secretSha256.toLowerCase());
    if (new Set(hashes).size !== hashes.length) ctx.addIssue({ code: 'custom', path: ['users'], message: 'two users share a secret: give each its own' });
  });

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** HTTP server: DICOMweb (STOW/QIDO/WADO), job API, web pages. */
export const httpSection = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Largest accepted STOW-RS request body; larger requests get 413 before anything is stored. */
    maxUploadBytes: z.number().int().positive().default(4 * 1024 ** 3),
    /** Most parts (instances) in one STOW-RS request; the request is answered 413 as soon as one more starts. */
    maxPartsPerRequest: z.number().int().positive().default(10_000),
    /** A client must send its request line and headers within this time (also closes connections that send nothing). */
    headersTimeoutSeconds: z.number().positive().default(30),
    /** An idle keep-alive connection is closed after this time (above common load balancers' 60 s). */
    keepAliveTimeoutSeconds: z.number().positive().default(65),
    /**
     * Slowest accepted request body: a body that brings fewer than uploadMinBytesPerSecond over any
     * uploadRateWindowSeconds (counting only time the node is waiting for it) is cut off. No total time limit, so
     * a large upload on a slow link is never cut for its size.
     */
    uploadMinBytesPerSecond: z.number().int().nonnegative().default(1024),
    uploadRateWindowSeconds: z.number().positive().default(60),
    /**
     * The URL clients reach this node at (e.g. https://ai-node.hospital.org behind a proxy); STOW-RS RetrieveURLs
     * and QIDO-RS RetrieveURLs start with it. Unset: the address the connection arrived at (never the Host header).
     */
    publicBaseUrl: z.string().url().optional(),
    /** Origins (scheme://host[:port]) whose browser pages may call DICOMweb and the API (CORS), e.g. an OHIF served elsewhere. */
    corsOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin: scheme://host[:port], no path')).default([]),
    /** Base path of the DICOMweb service. */
    dicomwebBasePath: z.string().startsWith('/').default('/dicom-web'),
    /** Serve the web pages under /ui (operator dashboard, result pages; docs/web-ui.md). */
    ui: z.boolean().default(true),
    /** Options of the result pages: a site's OHIF link, the patient page (src/config/sections/ui-pages.ts). */
    pages: uiPagesSection.prefault({}),
    auth: httpAuthSection.prefault({}),
    /** Serve HTTPS instead of HTTP. */
    tls: tlsServerSection.optional(),
  })
  .strict()
  .superRefine((h, ctx) => {
    // The API serves images and reports (PHI): reachable from the network only with authentication, or when the
    // operator states that a reverse proxy does it.
    if (!isLoopbackHost(h.host) && h.auth.users.length === 0 && !h.auth.anonymous) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `http.host ${h.host} is reachable from the network but http.auth.users is empty: images and reports would be served to anyone. Add users (neuro-onc-node new-secret), or set http.auth.anonymous: true when a reverse proxy authenticates every request`,
      });
    }
  });
