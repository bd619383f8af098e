/**
 * The exported webhook verifier refuses settings that make it worthless (issue 21, finding 4): it
 * took `''` as the secret (anyone can sign with the empty key) and a `toleranceS` of NaN or
 * Infinity (day-old signatures passed). Now each is an InvalidOptionError naming the setting; the
 * secret needs the sender's minimum, 32 bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  signPresenceWebhook,
  verifyPresenceWebhookSignature,
} from '../../src/webhooks/webhook-signature.js';

const SECRET = 'webhook-verifier-test-secret-of-32-bytes';
const BODY = '{"id":"e1","type":"user.online","user":"alice"}';
const T = 1_800_000_000;
const DAY_OLD = T - 86_400;

describe('verifyPresenceWebhookSignature', () => {
  it.each([
    ['the empty secret', ''],
    ['a 31-byte secret', 'x'.repeat(31)],
    ['a blank secret', ' '.repeat(40)],
  ])('refuses %s, even with a matching signature', (_name, secret) => {
    const header = signPresenceWebhook(secret, BODY, T);
    const verify = () => verifyPresenceWebhookSignature(secret, header, BODY, { nowS: T });
    expect(verify).toThrow(expect.objectContaining({ code: 'PRESENCE_INVALID_OPTION' }));
    expect(verify).toThrow(/at least 32 bytes|is required/);
  });

  it('refuses a list with one short secret in it, and an empty list', () => {
    const header = signPresenceWebhook(SECRET, BODY, T);
    expect(() => verifyPresenceWebhookSignature([SECRET, ''], header, BODY, { nowS: T })).toThrow(
      /secrets\[1\]/,
    );
    expect(() => verifyPresenceWebhookSignature([], header, BODY, { nowS: T })).toThrow(
      /give the webhook secret/,
    );
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1, Number.NEGATIVE_INFINITY])(
    'refuses a toleranceS of %s instead of letting a day-old signature through',
    (toleranceS) => {
      const header = signPresenceWebhook(SECRET, BODY, DAY_OLD);
      expect(() =>
        verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: T, toleranceS }),
      ).toThrow(/toleranceS must be a finite number of seconds, 0 or more/);
    },
  );

  it('refuses a nowS that is not finite', () => {
    const header = signPresenceWebhook(SECRET, BODY, T);
    expect(() =>
      verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: Number.NaN }),
    ).toThrow(/nowS must be a finite number/);
  });

  it('still accepts a good signature and refuses a day-old one with the defaults', () => {
    const header = signPresenceWebhook(SECRET, BODY, T);
    expect(verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: T })).toEqual({ ok: true });
    expect(
      verifyPresenceWebhookSignature(SECRET, signPresenceWebhook(SECRET, BODY, DAY_OLD), BODY, {
        nowS: T,
      }).ok,
    ).toBe(false);
    expect(
      verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: T, toleranceS: 0 }).ok,
    ).toBe(true);
  });
});
