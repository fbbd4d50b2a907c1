/**
 * One webhook POST. The body is the event as JSON; the receiver checks
 *   X-Neuro-Onc-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * (the timestamp inside the signed text lets it refuse replays), and de-duplicates retries on X-Neuro-Onc-Delivery,
 * which stays the same across attempts of one event.
 */
import { createHmac } from 'node:crypto';
import { errorText } from '../log/error-text';
import type { NotificationEvent } from './events';

export interface WebhookTarget {
  name: string;
  url: string;
  secret?: string;
  timeoutSeconds: number;
}

export type SendOutcome = { ok: true } | { ok: false; retry: boolean; error: string };

export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Network errors, timeouts, 408, 429 and 5xx are worth another attempt; other answers are not. */
export async function postWebhook(target: WebhookTarget, event: NotificationEvent, deliveryId: string, now = Date.now()): Promise<SendOutcome> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'neuro-onc-node',
    'x-neuro-onc-event': event.kind,
    'x-neuro-onc-delivery': deliveryId,
  };
  if (target.secret) headers['x-neuro-onc-signature'] = signature(target.secret, Math.floor(now / 1000), body);
  try {
    const r = await fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(target.timeoutSeconds * 1000) });
    await r.arrayBuffer().catch(() => undefined);
    if (r.ok) return { ok: true };
    return { ok: false, retry: r.status === 408 || r.status === 429 || r.status >= 500, error: `HTTP ${r.status}` };
  } catch (e) {
    return { ok: false, retry: true, error: errorText(e) };
  }
}
