/**
 * The webhook sender against a real HTTP receiver on 127.0.0.1 (no fetch mocks). Backoff and
 * request timeouts run on a manual clock, so retries happen when the test advances it, never
 * after a real wait; no assertion depends on how long anything took.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookEvent, type WebhookEvent } from '../../src/webhooks/webhook-event.js';
import { verifyPresenceWebhookSignature } from '../../src/webhooks/webhook-signature.js';
import { waitFor } from '../support/wait-for.js';
import { verifyPresenceWebhook } from './support/doc-verifier.mjs';
import {
  closeHarnesses,
  drain,
  harness,
  nextTurn,
  online,
  SECRET,
} from './support/sender-harness.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

afterEach(closeHarnesses);

const idsOf = (requests: readonly { event: WebhookEvent }[]) => requests.map((r) => r.event.id);

describe('WebhookSender', () => {
  it('POSTs the event as JSON, signed so both the library and the docs verifier accept it', async () => {
    const h = await harness(() => 200);
    const offline = createWebhookEvent({
      type: 'user.offline',
      user: 'bob',
      at: 1_700_000_000_500,
      seq: 7,
      lastSeen: 1_700_000_000_400,
    });
    const first = online('alice');
    expect(h.sender.enqueue(first)).toBe(true);
    expect(h.sender.enqueue(offline)).toBe(true);
    await waitFor(() => h.sender.stats.delivered === 2);

    expect(h.receiver.received.map((r) => r.event)).toEqual(
      expect.arrayContaining([first, offline]),
    );
    for (const request of h.receiver.received) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/hooks/presence');
      expect(request.contentType).toBe('application/json');
      expect(verifyPresenceWebhookSignature(SECRET, request.signature, request.body)).toEqual({
        ok: true,
      });
      expect(verifyPresenceWebhook(SECRET, request.signature, request.body)).toBe(true);
      expect(verifyPresenceWebhook(`${SECRET}x`, request.signature, request.body)).toBe(false);
    }
    const bobBody = h.receiver.received.find((r) => r.event.user === 'bob')?.body ?? '';
    expect(Object.keys(JSON.parse(bobBody))).toEqual([
      'id',
      'type',
      'user',
      'at',
      'seq',
      'lastSeen',
    ]);
    const aliceBody = h.receiver.received.find((r) => r.event.user === 'alice')?.body ?? '';
    expect(Object.keys(JSON.parse(aliceBody))).toEqual(['id', 'type', 'user', 'at', 'seq']);
    expect(h.sender.stats).toMatchObject({ delivered: 2, failed: 0, retried: 0, queueDepth: 0 });
  });

  it('retries after 500 twice and delivers once on 200, with the same id every time', async () => {
    const h = await harness((_request, index) => (index < 2 ? 500 : 200));
    const event = online('alice');
    h.sender.enqueue(event);
    await drain(h);
    expect(idsOf(h.receiver.received)).toEqual([event.id, event.id, event.id]);
    expect(h.outcomes.get(event.id)).toEqual(['delivered']);
    expect(h.sender.stats).toMatchObject({
      delivered: 1,
      retried: 2,
      failed: 0,
      refused: 0,
      lastError: 'answered 500',
    });
  });

  it('gives up at once on a 400: the receiver refuses it, no retry', async () => {
    const h = await harness(() => 400);
    const event = online('alice');
    h.sender.enqueue(event);
    await drain(h);
    expect(h.receiver.received).toHaveLength(1);
    expect(h.outcomes.get(event.id)).toEqual(['failed']);
    expect(h.sender.stats).toMatchObject({ failed: 1, refused: 1, retried: 0, delivered: 0 });
    expect(h.logs.some((l) => l.fields['reason'] === 'webhook_refused')).toBe(true);
    expect(h.clock.pending).toBe(0);
  });

  it('drain resolves once everything held is done, or at its timeout for what cannot be', async () => {
    const ok = await harness(() => 200);
    for (const user of ['alice', 'bob', 'carol']) ok.sender.enqueue(online(user));
    await ok.sender.drain(60_000);
    expect(ok.sender.stats).toMatchObject({ delivered: 3, queueDepth: 0 });

    const down = await harness(() => 503);
    down.sender.enqueue(online('alice'));
    await waitFor(() => down.sender.stats.retried === 1);
    const drained = down.sender.drain(1_000);
    down.clock.advance(1_000);
    await drained;
    expect(down.sender.stats.queueDepth).toBe(1);
  });

  it('gives up after maxAttempts retryable failures', async () => {
    const h = await harness(() => 503, { maxAttempts: 3 });
    const event = online('alice');
    h.sender.enqueue(event);
    await drain(h);
    expect(h.receiver.received).toHaveLength(3);
    expect(h.outcomes.get(event.id)).toEqual(['failed']);
    expect(h.sender.stats).toMatchObject({ failed: 1, retried: 3, refused: 0 });
    expect(h.logs.some((l) => l.fields['reason'] === 'webhook_gave_up')).toBe(true);
  });

  it("keeps one user's events in order under retries, and another user is not held up", async () => {
    // alice's first event fails twice; bob's always succeed. One request at a time at most.
    let aliceFailures = 0;
    const h = await harness(
      (request) => (request.event.user === 'alice' && aliceFailures++ < 2 ? 500 : 200),
      { concurrency: 1 },
    );
    const [a1, a2, b1, b2] = [online('alice'), online('alice'), online('bob'), online('bob')];
    for (const event of [a1, a2, b1, b2]) h.sender.enqueue(event);

    // Without moving the clock: alice waits for her retry, bob's events all go through.
    await waitFor(() => h.sender.stats.delivered === 2 && h.sender.stats.inFlight === 0);
    expect(h.outcomes.get(b1.id)).toEqual(['delivered']);
    expect(h.outcomes.get(b2.id)).toEqual(['delivered']);
    expect(idsOf(h.receiver.received.filter((r) => r.event.user === 'alice'))).toEqual([a1.id]);

    await drain(h);
    const alice = idsOf(h.receiver.received.filter((r) => r.event.user === 'alice'));
    expect(alice).toEqual([a1.id, a1.id, a1.id, a2.id]);
    expect(idsOf(h.receiver.received.filter((r) => r.event.user === 'bob'))).toEqual([
      b1.id,
      b2.id,
    ]);
    expect(h.sender.stats).toMatchObject({ delivered: 4, retried: 2, failed: 0 });
  });

  it('drops new events when the queue is full, counts them and logs once', async () => {
    const h = await harness(() => 200, { maxQueue: 3 });
    const events = ['a', 'b', 'c', 'd', 'e'].map(online);
    expect(events.map((event) => h.sender.enqueue(event))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(h.sender.stats).toMatchObject({ dropped: 2, queueDepth: 3 });
    expect(h.outcomes.get(events[3]!.id)).toEqual(['dropped']);
    expect(h.outcomes.get(events[4]!.id)).toEqual(['dropped']);
    expect(h.logs.filter((l) => l.fields['reason'] === 'webhook_dropped')).toHaveLength(1);

    await drain(h);
    expect(new Set(idsOf(h.receiver.received))).toEqual(
      new Set(events.slice(0, 3).map((e) => e.id)),
    );
    expect(h.sender.stats).toMatchObject({ delivered: 3, dropped: 2, queueDepth: 0 });
    expect(h.sender.enqueue(online('f'))).toBe(true);
  });

  it('times out a receiver that never answers and retries', async () => {
    const h = await harness((_request, index) => (index === 0 ? 'hang' : 200));
    const event = online('alice');
    h.sender.enqueue(event);
    await waitFor(() => h.receiver.hanging === 1);
    expect(h.sender.stats.inFlight).toBe(1);
    await drain(h);
    expect(idsOf(h.receiver.received)).toEqual([event.id, event.id]);
    expect(h.outcomes.get(event.id)).toEqual(['delivered']);
    await waitFor(() => h.receiver.aborted === 1);
    expect(h.sender.stats).toMatchObject({ delivered: 1, retried: 1 });
    expect(h.sender.stats.lastError).toMatch(/no answer within 1000 ms/);
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    const h = await harness(() => ({ status: 307, headers: { location: '/elsewhere' } }));
    const event = online('alice');
    h.sender.enqueue(event);
    await drain(h);
    expect(h.receiver.received.map((r) => r.path)).toEqual(['/hooks/presence']);
    expect(h.outcomes.get(event.id)).toEqual(['failed']);
    expect(h.sender.stats).toMatchObject({ failed: 1, refused: 1, retried: 0 });
    expect(h.sender.stats.lastError).toMatch(/redirected \(307\)/);
  });

  it('retries a network error (nothing listening) until it gives up', async () => {
    const gone = await startWebhookReceiver(() => 200);
    await gone.close();
    const h = await harness(() => 200, { url: gone.url, maxAttempts: 2 });
    h.sender.enqueue(online('alice'));
    await drain(h);
    expect(h.sender.stats).toMatchObject({ failed: 1, retried: 2 });
    expect(h.sender.stats.lastError).toMatch(/network error/);
  });

  it('waits at least Retry-After on a 429', async () => {
    const h = await harness((_request, index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '20' } } : 200,
    );
    h.sender.enqueue(online('alice'));
    await waitFor(() => h.sender.stats.retried === 1);
    h.clock.advance(19_999);
    await nextTurn();
    expect(h.receiver.received).toHaveLength(1);
    h.clock.advance(1);
    await waitFor(() => h.sender.stats.delivered === 1);
  });

  it('an onOutcome hook that throws is logged and breaks nothing', async () => {
    const h = await harness(() => 200, {
      maxQueue: 2,
      onOutcome: () => {
        throw new Error('hook bug');
      },
    });
    const events = ['alice', 'alice', 'bob'].map(online);
    expect(events.map((event) => h.sender.enqueue(event))).toEqual([true, true, false]);
    await drain(h);
    expect(h.sender.stats).toMatchObject({ delivered: 2, dropped: 1, queueDepth: 0 });
    expect(h.logs.filter((l) => l.message === 'webhook onOutcome threw')).toHaveLength(3);
  });

  it('close() aborts requests in flight, stops its timers and reports what was still held', async () => {
    const h = await harness((request) => (request.event.user === 'carol' ? 500 : 'hang'));
    for (const user of ['alice', 'alice', 'bob', 'carol']) h.sender.enqueue(online(user));
    await waitFor(() => h.receiver.hanging === 2 && h.sender.stats.retried === 1);
    expect(h.clock.pending).toBeGreaterThan(0);

    expect(h.sender.close()).toBe(4);
    expect(h.sender.stats).toMatchObject({ inFlight: 0, queueDepth: 0 });
    expect(h.clock.pending).toBe(0);
    await waitFor(() => h.receiver.aborted === 2);
    expect(h.logs.some((l) => l.message.includes('closed with events not delivered'))).toBe(true);

    const late = online('dave');
    expect(h.sender.enqueue(late)).toBe(false);
    expect(h.outcomes.get(late.id)).toEqual(['dropped']);
    expect(h.sender.close()).toBe(0);
    expect(h.receiver.received).toHaveLength(3);
  });
});
