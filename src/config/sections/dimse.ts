import { z } from 'zod';
import { dimseTlsSection } from './tls';
import { isLoopbackHost } from './http';

const aeTitle = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'AE titles are 1-16 printable ASCII characters without backslash')
  .refine((s) => s.trim().length > 0, 'AE title cannot be only spaces');

/** Classic DICOM networking (DIMSE) SCP and SCU. See docs/dimse.md and conformance/dimse.md. */
export const dimseSection = z
  .object({
    /** Start the C-ECHO/C-STORE SCP with the node. */
    enabled: z.boolean().default(true),
    /** Address to listen on. Loopback by default: a network address also needs allowedCallingAeTitles (or allowAnyCallingAe). */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(11112),
    /** Our AE title: the called AE title peers must use, and our calling AE title as SCU (unless a destination overrides it). */
    aeTitle: aeTitle.default('NEUROONC'),
    /** Calling AE titles allowed to associate; empty list = accept any (on loopback, or with allowAnyCallingAe). */
    allowedCallingAeTitles: z.array(aeTitle).default([]),
    /** Accept any calling AE title on a network address (dimse.host not loopback) with an empty allow-list. */
    allowAnyCallingAe: z.boolean().default(false),
    /** Reject associations whose called AE title is not `aeTitle` (called-AE-title-not-recognized). */
    checkCalledAeTitle: z.boolean().default(true),
    /** Concurrent associations; more are rejected (transient, local-limit-exceeded). */
    maxAssociations: z.number().int().min(1).max(1000).default(16),
    /** Connections still negotiating (no A-ASSOCIATE-RQ answered yet); more are closed at once. */
    maxUnassociatedConnections: z.number().int().min(1).max(1000).default(16),
    /**
     * Largest P-DATA-TF PDU we receive, announced in A-ASSOCIATE-AC (bytes). A PDU declaring more (other PDUs:
     * more than max(this, 64 KiB)) is answered A-ABORT and the connection closed, before its body is read.
     */
    maxPduLength: z.number().int().min(4096).max(4 * 1024 * 1024).default(262144),
    /** SCP: seconds from connect until the A-ASSOCIATE-RQ is received and answered; then the connection is closed. */
    associationTimeoutSeconds: z.number().positive().default(5),
    /** SCP: seconds an association may stay without a PDU. */
    idleTimeoutSeconds: z.number().positive().default(120),
    /** Instances up to this size are collected in memory while they arrive; larger ones in the store's tmp folder. */
    spoolMemoryLimitMb: z.number().positive().default(32),
    /** SCU: seconds for connect + association, and for each response (C-STORE/C-ECHO/C-FIND/C-MOVE). */
    scuConnectTimeoutSeconds: z.number().positive().default(10),
    scuResponseTimeoutSeconds: z.number().positive().default(120),
    /**
     * Name of a DIMSE destination (the PACS) to ask, with C-FIND + C-MOVE, for series of the study the node does
     * not have when a T1/T1ce/T2/FLAIR role is missing (e.g. the FLAIR was not routed to the node). The PACS must
     * know this node's AE title as a C-MOVE destination. Unset = never pull.
     */
    pullMissingFrom: z.string().min(1).optional(),
    /** DICOM TLS listener (docs/security.md): certificate, key, CA of client certificates, port (default 2762). */
    tls: dimseTlsSection.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    // Same rule as http.host: reachable from the network only with an allow-list, or by an explicit choice.
    if (d.enabled && !isLoopbackHost(d.host) && d.allowedCallingAeTitles.length === 0 && !d.allowAnyCallingAe) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowedCallingAeTitles'],
        message: `dimse.host ${d.host} is reachable from the network but dimse.allowedCallingAeTitles is empty: any peer could store instances. List the calling AE titles of your PACS and scanners, or set dimse.allowAnyCallingAe: true`,
      });
    }
  });

export { aeTitle as aeTitleSchema };
