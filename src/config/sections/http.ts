import { z } from 'zod';
import { tlsServerSection } from './tls';

/** What a caller may do: send instances (STOW-RS), read (QIDO/WADO, job and study views, web pages), operate (retry, mark ready, echo). */
export const accessScopes = ['store', 'read', 'operate'] as const;
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
    /** Base path of the DICOMweb service. */
    dicomwebBasePath: z.string().startsWith('/').default('/dicom-web'),
    /** Serve the web pages under /ui (operator dashboard, result pages; docs/web-ui.md). */
    ui: z.boolean().default(true),
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
