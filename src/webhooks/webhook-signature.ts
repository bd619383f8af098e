/**
 * The signature of every webhook request:
 *   X-Presence-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * The timestamp is signed too, so a captured request cannot be replayed once it is older than
 * the receiver's tolerance; within it, receivers dedupe by the event's id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import { systemWallClock } from '../ports/clock.js';
import { checkWebhookSecret } from './webhook-options.js';

export const PRESENCE_SIGNATURE_HEADER = 'X-Presence-Signature';
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

/** The header value for `body` signed at `unixSeconds`. */
export function signPresenceWebhook(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, `${unixSeconds}.${body}`)}`;
}

export interface VerifyOptions {
  /** Now, in unix seconds. @default the system clock */
  readonly nowS?: number;
  /** How far t may be from now, either way: finite, not negative. @default 300 */
  readonly toleranceS?: number;
}

export type PresenceSignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks a received request: `secrets` may list the current and the previous secret during a
 * rotation (any one matching is enough). `body` is the raw body, before any JSON parsing.
 *
 * A setting that would make the check worthless is the caller's bug, not the request's, so it
 * throws `InvalidOptionError` instead of answering: a secret shorter than the sender accepts
 * (32 bytes; `''` would let anyone sign), no secret at all, or a `toleranceS` / `nowS` that is
 * not a finite number (NaN or Infinity let signatures of any age through) or a negative tolerance.
 */
export function verifyPresenceWebhookSignature(
  secrets: string | readonly string[],
  header: string | undefined,
  body: string,
  {
    nowS = Math.floor(systemWallClock.now() / 1000),
    toleranceS = DEFAULT_SIGNATURE_TOLERANCE_S,
  }: VerifyOptions = {},
): PresenceSignatureCheck {
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  checkVerifySettings(keys, nowS, toleranceS);
  if (!header) return { ok: false, reason: `missing ${PRESENCE_SIGNATURE_HEADER} header` };
  const fields = readSignatureHeader(header);
  if (!fields) {
    return {
      ok: false,
      reason: `malformed ${PRESENCE_SIGNATURE_HEADER}; expected t=<seconds>,v1=<hex>`,
    };
  }
  if (Math.abs(nowS - fields.t) > toleranceS) {
    return { ok: false, reason: `t is outside the ${toleranceS} s tolerance (stale or replayed)` };
  }
  const given = Buffer.from(fields.v1, 'hex');
  // Every key is checked (no early exit), so timing does not tell which one matched.
  let matched = false;
  for (const key of keys) {
    const expected = Buffer.from(hmacHex(key, `${fields.t}.${body}`), 'hex');
    if (timingSafeEqual(expected, given)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature does not match the body' };
}

function checkVerifySettings(keys: unknown, nowS: unknown, toleranceS: unknown): void {
  const where = 'verifyPresenceWebhookSignature';
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new InvalidOptionError(`${where}: give the webhook secret (or a list of secrets)`);
  }
  keys.forEach((key, index) => {
    checkWebhookSecret(
      key,
      keys.length === 1 ? `${where}: the secret` : `${where}: secrets[${index}]`,
    );
  });
  if (typeof toleranceS !== 'number' || !Number.isFinite(toleranceS) || toleranceS < 0) {
    throw new InvalidOptionError(
      `${where}: toleranceS must be a finite number of seconds, 0 or more (default ${DEFAULT_SIGNATURE_TOLERANCE_S}), got ${String(toleranceS)}`,
    );
  }
  if (typeof nowS !== 'number' || !Number.isFinite(nowS)) {
    throw new InvalidOptionError(
      `${where}: nowS must be a finite number of unix seconds, got ${String(nowS)}`,
    );
  }
}

function readSignatureHeader(header: string): { t: number; v1: string } | undefined {
  let t: number | undefined;
  let v1: string | undefined;
  for (const part of header.split(',')) {
    const [name, value = ''] = part.trim().split('=', 2);
    if (name === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) v1 = value;
  }
  return t === undefined || v1 === undefined ? undefined : { t, v1 };
}

function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}
