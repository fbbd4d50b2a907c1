import { z } from 'zod';
import { inlineOrFileSecret } from './secret';

/** What the node tells people about (docs/notifications.md). */
export const NOTIFICATION_EVENTS = ['job-failed', 'delivery-dead-letter', 'study-incomplete', 'disk-low', 'model-drift'] as const;
export type NotificationEventKind = (typeof NOTIFICATION_EVENTS)[number];

const events = z.array(z.enum(NOTIFICATION_EVENTS)).min(1).default([...NOTIFICATION_EVENTS]);

const webhook = z
  .object({
    name: z.string().min(1),
    url: z.string().url(),
    /** HMAC-SHA256 key for the X-Neuro-Onc-Signature header; inline (or NEURO_ONC__… env) or secretFile. */
    secret: z.string().min(16).optional(),
    secretFile: z.string().min(1).optional(),
    events,
    maxAttempts: z.number().int().min(1).default(6),
    initialBackoffSeconds: z.number().min(0).default(5),
    timeoutSeconds: z.number().positive().default(10),
  })
  .strict()
  .transform(({ secretFile, secret, ...w }, ctx) => {
    const key = inlineOrFileSecret(secret, secretFile, 'secret', ctx, true);
    return { ...w, ...(key !== undefined ? { secret: key } : {}) };
  });

const email = z
  .object({
    /** SMTP relay. */
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(25),
    /** true = TLS from the first byte (port 465); false = plain, upgraded by STARTTLS when the relay offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send unless the relay upgrades with STARTTLS. */
    requireTls: z.boolean().default(false),
    /** PEM CA bundle for a relay with a private CA. */
    caFile: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    passwordFile: z.string().min(1).optional(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    events,
    maxAttempts: z.number().int().min(1).default(4),
    initialBackoffSeconds: z.number().min(0).default(30),
  })
  .strict()
  .transform(({ password, passwordFile, ...m }, ctx) => {
    const pass = inlineOrFileSecret(password, passwordFile, 'password', ctx, m.username === undefined);
    return { ...m, ...(pass !== undefined ? { password: pass } : {}) };
  });

export const notificationsSection = z
  .object({
    webhooks: z.array(webhook).default([]),
    email: email.optional(),
    /**
     * Warn (disk-low) when the data disk's free space falls below this many MB; 0 = twice node.minFreeDiskMb, so
     * the warning comes before the node starts refusing instances.
     */
    diskWarnMb: z.number().int().min(0).default(0),
    /** How often the disk is checked for disk-low, in seconds. */
    diskCheckSeconds: z.number().positive().default(60),
  })
  .strict();
