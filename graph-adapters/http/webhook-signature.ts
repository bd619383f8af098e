/**
 * Signing of the graph-change webhook. The app sends the header
 *   x-graph-presence-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * The timestamp is signed too, so a captured request cannot be replayed after the tolerance;
 * within it, the handler remembers the deliveries it accepted (webhook-replay-guard.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-graph-presence-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The header value for `body`; apps written in Node can call this directly. */
export function signWebhookBody(
  secret: string,
  body: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestampSeconds},v1=${hmac(secret, `${timestampSeconds}.${body}`)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const fields = readSignatureHeader(header);
  if (!fields) {
    return { ok: false, reason: `malformed ${SIGNATURE_HEADER}; expected t=<seconds>,v1=<hex>` };
  }
  const { timestamp, signature } = fields;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return { ok: false, reason: `timestamp outside the ${toleranceSeconds} s tolerance` };
  }
  const expected = Buffer.from(hmac(secret, `${timestamp}.${body}`), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return { ok: false, reason: 'signature does not match the body' };
  }
  return { ok: true };
}

/** The header's timestamp and signature, or undefined when it is malformed. */
export function readSignatureHeader(
  header: string,
): { timestamp: number; signature: string } | undefined {
  const fields = new Map(
    header.split(',').map((part) => {
      const [name = '', ...rest] = part.trim().split('=');
      return [name, rest.join('=')] as const;
    }),
  );
  const timestamp = Number(fields.get('t'));
  const signature = fields.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { timestamp, signature };
}

function hmac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}
