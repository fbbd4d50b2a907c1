import { z } from 'zod';
import { dimseClientTlsSection } from './tls';

/**
 * The audit trail (docs/audit.md). It is always on: <dataDir>/audit/audit-log.jsonl, hash-chained, heads anchored
 * in the database. `export` also sends every record, as DICOM PS3.15 A.5 audit messages (IHE ATNA), to the site's
 * audit record repository over syslog.
 */
export const auditSection = z
  .object({
    /** Anchor the chain head in the database (and fsync the log) after this many records ... */
    anchorEvery: z.number().int().min(1).default(100),
    /** ... and at least this often while records arrive. */
    anchorIntervalSeconds: z.number().positive().default(60),
    /** Send to an audit record repository (IHE ATNA Record Audit Event, syslog). */
    export: z
      .object({
        /** udp: RFC 5426, one message per datagram, best effort. tls: RFC 5425 (octet-counted frames over TLS). */
        transport: z.enum(['udp', 'tls']),
        host: z.string().min(1),
        /** Default 514 (udp) or 6514 (tls). */
        port: z.number().int().min(1).max(65535).optional(),
        /** transport tls: CA of the repository's certificate, our client certificate for mutual TLS, name to check. */
        tls: dimseClientTlsSection.optional(),
        /** AuditSourceID of every message (default: node.name). */
        sourceId: z.string().min(1).optional(),
        /** AuditEnterpriseSiteID (the site), when the repository wants one. */
        enterpriseSiteId: z.string().min(1).optional(),
        /** Wait before the first retry when the repository cannot be reached; doubles up to maxBackoffSeconds. */
        initialBackoffSeconds: z.number().min(0).default(1),
        maxBackoffSeconds: z.number().positive().default(60),
      })
      .strict()
      .transform((e) => ({ ...e, port: e.port ?? (e.transport === 'tls' ? 6514 : 514) }))
      .optional(),
  })
  .strict();
export type AuditConfig = z.infer<typeof auditSection>;
export type AuditExportConfig = NonNullable<AuditConfig['export']>;
