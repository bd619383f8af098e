/**
 * The Standard Webhooks headers every delivery also carries (docs/webhooks.md, "Standard
 * Webhooks"), so a receiver can verify with a stock library (npm `standardwebhooks`, and its
 * ports to other languages) instead of hand-written code:
 *   webhook-id: <the event's id, the same on every retry>
 *   webhook-timestamp: <unix seconds>
 *   webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>
 * The key is the configured webhook secret's UTF-8 bytes, the same key X-Presence-Signature uses;
 * in the spec's `whsec_<base64 of the key>` form it is standardWebhookSecret(secret).
 */
import { createHmac } from 'node:crypto';

export const STANDARD_WEBHOOK_ID_HEADER = 'webhook-id';
export const STANDARD_WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** The configured secret as a Standard Webhooks verifier takes it: `whsec_<base64>`. */
export function standardWebhookSecret(secret: string): string {
  return `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;
}

/** `v1,<base64 signature>` of `body` sent as message `id` at `unixSeconds`. */
export function signStandardWebhook(
  secret: string,
  id: string,
  unixSeconds: number,
  body: string,
): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${id}.${unixSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one delivery attempt. */
export function standardWebhookHeaders(
  secret: string,
  id: string,
  unixSeconds: number,
  body: string,
): Record<string, string> {
  return {
    [STANDARD_WEBHOOK_ID_HEADER]: id,
    [STANDARD_WEBHOOK_TIMESTAMP_HEADER]: String(unixSeconds),
    [STANDARD_WEBHOOK_SIGNATURE_HEADER]: signStandardWebhook(secret, id, unixSeconds, body),
  };
}
