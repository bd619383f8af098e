import { createHmac, timingSafeEqual } from 'node:crypto';

// true when X-Presence-Signature fits the raw (unparsed) body and is at most 5 minutes old.
export function verifyPresenceWebhook(secret, header, rawBody, nowS = Date.now() / 1000) {
  const t = /(?:^|,)t=(\d+)/.exec(header ?? '')?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header ?? '')?.[1];
  if (t === undefined || v1 === undefined || Math.abs(nowS - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
