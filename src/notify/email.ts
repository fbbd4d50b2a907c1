/** One notification e-mail through the configured SMTP relay (nodemailer), plain text, no patient data. */
import { readFileSync } from 'node:fs';
import { createTransport, type Transporter } from 'nodemailer';
import type { Config } from '../config/schema';
import { eventText, type NotificationEvent } from './events';
import type { SendOutcome } from './webhook';

export type EmailSettings = NonNullable<Config['notifications']['email']>;

export function emailTransport(s: EmailSettings): Transporter {
  return createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    requireTLS: s.requireTls,
    ...(s.username ? { auth: { user: s.username, pass: s.password ?? '' } } : {}),
    ...(s.caFile ? { tls: { ca: readFileSync(s.caFile) } } : {}),
    connectionTimeout: 15_000,
    socketTimeout: 30_000,
  });
}

export async function sendEmail(transport: Transporter, s: EmailSettings, event: NotificationEvent, deliveryId: string): Promise<SendOutcome> {
  try {
    await transport.sendMail({
      from: s.from,
      to: s.to,
      subject: `[${event.node}] ${event.summary}`,
      text: eventText(event),
      headers: { 'X-Neuro-Onc-Event': event.kind, 'X-Neuro-Onc-Delivery': deliveryId },
    });
    return { ok: true };
  } catch (e) {
    const err = e as { code?: string; responseCode?: number; message: string };
    // 5xx SMTP replies are permanent (bad recipient, refused sender); everything else may pass later.
    const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500;
    return { ok: false, retry: !permanent, error: [err.code, err.responseCode, err.message].filter(Boolean).join(' ') };
  }
}
