/** The webhook options: each bad value is an InvalidOptionError naming its field. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { resolveWebhookOptions, WEBHOOK_DEFAULTS } from '../../src/webhooks/webhook-options.js';

const secret = 'webhook-options-test-secret-32-bytes!';

describe('resolveWebhookOptions', () => {
  it('fills the defaults; https and loopback http need no warning', () => {
    const resolved = resolveWebhookOptions({ url: 'https://app.example.com/hooks', secret });
    expect(resolved).toMatchObject({ ...WEBHOOK_DEFAULTS, secret, warning: undefined });
    expect(resolved.url.href).toBe('https://app.example.com/hooks');
    expect(WEBHOOK_DEFAULTS).toEqual({
      timeoutMs: 5_000,
      maxQueue: 10_000,
      maxAttempts: 10,
      concurrency: 16,
    });
    for (const url of [
      'http://127.0.0.1:8080/h',
      'http://127.8.9.10/h',
      'http://localhost/h',
      'http://[::1]:9000/h',
    ]) {
      expect(resolveWebhookOptions({ url, secret }).warning).toBeUndefined();
    }
  });

  it('warns, without refusing, about plain http beyond loopback', () => {
    const { warning } = resolveWebhookOptions({ url: 'http://10.0.0.7/h?token=x', secret });
    expect(warning).toMatch(/http:\/\/10\.0\.0\.7 is plain http.*use https/);
    expect(warning).not.toContain('token');
  });

  it('refuses a bad URL, naming the field', () => {
    for (const url of ['', 'app.example.com/hooks', 'ftp://app.example.com/', 'ws://x/']) {
      expect(() => resolveWebhookOptions({ url, secret })).toThrow(InvalidOptionError);
      expect(() => resolveWebhookOptions({ url, secret })).toThrow(/^webhook\.url /);
    }
    expect(() => resolveWebhookOptions({ url: 'https://u:p@app.example.com/', secret })).toThrow(
      /webhook\.url must not carry a user or password/,
    );
  });

  it('refuses a missing or short secret, naming the field', () => {
    const url = 'https://app.example.com/hooks';
    expect(() => resolveWebhookOptions({ url, secret: '' })).toThrow(/webhook\.secret is required/);
    expect(() => resolveWebhookOptions({ url, secret: 'x'.repeat(31) })).toThrow(
      /webhook\.secret must be at least 32 bytes \(got 31\)/,
    );
    expect(resolveWebhookOptions({ url, secret: 'x'.repeat(32) }).secret).toHaveLength(32);
  });

  it('refuses bounds that are not positive integers, naming the field', () => {
    const base = { url: 'https://app.example.com/hooks', secret };
    for (const field of ['timeoutMs', 'maxQueue', 'maxAttempts', 'concurrency'] as const) {
      for (const value of [0, -1, 1.5, Number.NaN]) {
        expect(() => resolveWebhookOptions({ ...base, [field]: value })).toThrow(
          new RegExp(`webhook\\.${field} must be a positive integer`),
        );
      }
      expect(resolveWebhookOptions({ ...base, [field]: 3 })[field]).toBe(3);
    }
  });
});
