/**
 * The X-Presence-Signature header: signed over "<t>.<body>", checked in constant time, stale or
 * tampered requests refused, a previous secret accepted during a rotation; and the 10-line
 * verifier of docs/webhooks.md agrees with the library's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  signPresenceWebhook,
  verifyPresenceWebhookSignature,
} from '../../src/webhooks/webhook-signature.js';
import { verifyPresenceWebhook } from './support/doc-verifier.mjs';

const SECRET = 'webhook-signature-test-secret-32-bytes!';
const OLD_SECRET = 'the-previous-webhook-secret-of-32-bytes';
const BODY = '{"id":"e1","type":"user.online","user":"alice","at":1700000000000,"seq":1}';
const T = 1_700_000_000;

describe('signPresenceWebhook / verifyPresenceWebhookSignature', () => {
  it('signs t and the body: t=<seconds>,v1=<64 hex>, verified at t and within 300 s', () => {
    const header = signPresenceWebhook(SECRET, BODY, T);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: T })).toEqual({ ok: true });
    expect(verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: T + 300 }).ok).toBe(true);
    expect(verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: T - 300 }).ok).toBe(true);
  });

  it('refuses a stale or future t, a changed body or t, another secret, a malformed header', () => {
    const header = signPresenceWebhook(SECRET, BODY, T);
    const check = (h: string | undefined, body = BODY, nowS = T) =>
      verifyPresenceWebhookSignature(SECRET, h, body, { nowS });
    expect(check(header, BODY, T + 301)).toMatchObject({ ok: false, reason: /tolerance/ });
    expect(check(header, BODY, T - 301).ok).toBe(false);
    expect(
      verifyPresenceWebhookSignature(SECRET, header, BODY, { nowS: T + 60, toleranceS: 30 }).ok,
    ).toBe(false);
    expect(check(header, BODY.replace('alice', 'mallory'))).toMatchObject({
      ok: false,
      reason: /does not match/,
    });
    expect(check(header.replace(`t=${T}`, `t=${T + 1}`)).ok).toBe(false);
    expect(check(signPresenceWebhook(OLD_SECRET, BODY, T)).ok).toBe(false);
    expect(check(undefined)).toMatchObject({ ok: false, reason: /missing/ });
    for (const bad of ['', 'v1=abc', `t=${T}`, `t=x,v1=${'0'.repeat(64)}`, `t=${T},v1=zz`]) {
      expect(check(bad).ok).toBe(false);
    }
  });

  it('accepts the current or the previous secret during a rotation', () => {
    const secrets = [SECRET, OLD_SECRET];
    for (const signer of secrets) {
      const header = signPresenceWebhook(signer, BODY, T);
      expect(verifyPresenceWebhookSignature(secrets, header, BODY, { nowS: T }).ok).toBe(true);
    }
    const other = signPresenceWebhook('a-third-secret-nobody-configured-32b', BODY, T);
    expect(verifyPresenceWebhookSignature(secrets, other, BODY, { nowS: T }).ok).toBe(false);
  });

  it('the verifier of docs/webhooks.md and README.md is the one in this test, and agrees with the library', () => {
    const snippet = readFileSync(new URL('./support/doc-verifier.mjs', import.meta.url), 'utf8');
    for (const file of ['../../docs/webhooks.md', '../../README.md']) {
      const doc = readFileSync(new URL(file, import.meta.url), 'utf8');
      expect(doc, file).toContain(`\`\`\`js\n${snippet}\`\`\``);
    }
    const header = signPresenceWebhook(SECRET, BODY, T);
    expect(verifyPresenceWebhook(SECRET, header, BODY, T + 10)).toBe(true);
    expect(verifyPresenceWebhook(SECRET, header, BODY, T + 301)).toBe(false);
    expect(verifyPresenceWebhook(SECRET, header, `${BODY} `, T)).toBe(false);
    expect(verifyPresenceWebhook(OLD_SECRET, header, BODY, T)).toBe(false);
    expect(verifyPresenceWebhook(SECRET, undefined, BODY, T)).toBe(false);
  });
});
