import { z } from 'zod';
import { dimseTlsSection } from './tls';

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
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(11112),
    /** Our AE title: the called AE title peers must use, and our calling AE title as SCU (unless a destination overrides it). */
    aeTitle: aeTitle.default('NEUROONC'),
    /** Calling AE titles allowed to associate; empty list = accept any. */
    allowedCallingAeTitles: z.array(aeTitle).default([]),
    /** Reject associations whose called AE title is not `aeTitle` (called-AE-title-not-recognized). */
    checkCalledAeTitle: z.boolean().default(true),
    /** Concurrent associations; more are rejected (transient, local-limit-exceeded). */
    maxAssociations: z.number().int().min(1).max(1000).default(16),
    /** Largest PDU we receive, announced in A-ASSOCIATE-AC (bytes). */
    maxPduLength: z.number().int().min(4096).max(4 * 1024 * 1024).default(262144),
    /** Seconds to wait for the association request after connect, and for each further PDU (SCP and SCU). */
    associationTimeoutSeconds: z.number().positive().default(30),
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
  .strict();

export { aeTitle as aeTitleSchema };
