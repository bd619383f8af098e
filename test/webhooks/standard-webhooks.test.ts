/**
 * Standard Webhooks: real deliveries from the real sender to a real HTTP receiver verify with
 * the `standardwebhooks` package's Webhook.verify, given the secret in its whsec_ form
 * (standardWebhookSecret); X-Presence-Signature is still there for existing receivers.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { standardWebhookSecret } from '../../src/index.js';
import { verifyPresenceWebhookSignature } from '../../src/webhooks/webhook-signature.js';
import { waitFor } from '../support/wait-for.js';
import { closeHarnesses, drain, harness, online, SECRET } from './support/sender-harness.js';

afterEach(closeHarnesses);

describe('Standard Webhooks headers', () => {
  it('every delivery verifies with standardwebhooks, and with X-Presence-Signature', async () => {
    const h = await harness(() => 200);
    const events = [online('alice'), online('bob')];
    for (const event of events) h.sender.enqueue(event);
    await waitFor(() => h.sender.stats.delivered === 2);

    const verifier = new Webhook(standardWebhookSecret(SECRET));
    for (const request of h.receiver.received) {
      expect(request.headers['webhook-id']).toBe(request.event.id);
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(verifier.verify(request.body, request.headers)).toEqual(request.event);
      expect(verifyPresenceWebhookSignature(SECRET, request.signature, request.body)).toEqual({
        ok: true,
      });
    }
    expect(h.receiver.received.map((r) => r.event.id).sort()).toEqual(
      events.map((e) => e.id).sort(),
    );
  });

  it('refuses a delivery under another secret or with a changed body', async () => {
    const h = await harness(() => 200);
    h.sender.enqueue(online('alice'));
    await waitFor(() => h.sender.stats.delivered === 1);
    const [request] = h.receiver.received;
    if (request === undefined) throw new Error('no delivery');
    const other = new Webhook(standardWebhookSecret(`${SECRET}x`));
    expect(() => other.verify(request.body, request.headers)).toThrow(WebhookVerificationError);
    const verifier = new Webhook(standardWebhookSecret(SECRET));
    const changed = request.body.replace('alice', 'mallory');
    expect(() => verifier.verify(changed, request.headers)).toThrow(WebhookVerificationError);
  });

  it('a retry carries the same webhook-id, signed anew', async () => {
    const h = await harness((_request, index) => (index === 0 ? 503 : 200));
    const event = online('alice');
    h.sender.enqueue(event);
    await drain(h);
    const verifier = new Webhook(standardWebhookSecret(SECRET));
    expect(h.receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
    for (const request of h.receiver.received) {
      expect(verifier.verify(request.body, request.headers)).toEqual(event);
    }
  });
});
