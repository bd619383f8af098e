/**
 * Property: whatever a real receiver answers (2xx, retryable, refusing, redirecting, silent), and
 * however full the queue gets, every event ends exactly once as delivered, failed or dropped; one
 * user's requests reach the receiver in enqueue order (retries included: the next event is never
 * sent before the previous one ended); and delivered events are delivered in enqueue order per
 * user. Backoff and timeouts run on a manual clock; the HTTP is real.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/webhooks/webhook-event.js';
import type { WebhookOutcome } from '../../src/webhooks/webhook-sender.js';
import { closeHarnesses, drain, harness, online } from './support/sender-harness.js';
import type { Answer } from './support/webhook-receiver.js';

afterEach(closeHarnesses);

const MAX_EVENTS = 8;
const answer = fc.constantFrom<Answer>(
  200,
  204,
  500,
  503,
  408,
  429,
  400,
  404,
  { status: 307, headers: { location: '/moved' } },
  'hang',
);
const isSuccess = (given: Answer | undefined) => typeof given === 'number' && given < 300;

describe('webhook sender property', () => {
  it('every event ends once; per user, requests and deliveries follow enqueue order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('ann', 'bo', 'cy'), { minLength: 1, maxLength: MAX_EVENTS }),
        // What the receiver answers to each event's tries, in order; 200 after the list.
        fc.array(fc.array(answer, { maxLength: 4 }), {
          minLength: MAX_EVENTS,
          maxLength: MAX_EVENTS,
        }),
        fc.integer({ min: 1, max: MAX_EVENTS }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        async (users, plans, maxQueue, maxAttempts, concurrency) => {
          const events = users.map(online);
          const indexOf = new Map(events.map((event, index) => [event.id, index]));
          const tries = new Map<string, number>();
          const ended: { event: WebhookEvent; outcome: WebhookOutcome }[] = [];
          const h = await harness(
            (request) => {
              const index = indexOf.get(request.event.id) ?? -1;
              const attempt = tries.get(request.event.id) ?? 0;
              tries.set(request.event.id, attempt + 1);
              return plans[index]?.[attempt] ?? 200;
            },
            {
              maxQueue,
              maxAttempts,
              concurrency,
              onOutcome: (event, outcome) => ended.push({ event, outcome }),
            },
          );
          try {
            // One burst: the first maxQueue events fit, the rest are dropped.
            const accepted = events.map((event) => h.sender.enqueue(event));
            expect(accepted).toEqual(events.map((_, index) => index < maxQueue));
            await drain(h);

            // Every event ended exactly once, and the counters agree.
            expect(ended.map((e) => e.event.id).sort()).toEqual(events.map((e) => e.id).sort());
            const count = (outcome: WebhookOutcome) =>
              ended.filter((e) => e.outcome === outcome).length;
            expect(h.sender.stats).toMatchObject({
              delivered: count('delivered'),
              failed: count('failed'),
              dropped: Math.max(0, events.length - maxQueue),
              queueDepth: 0,
              inFlight: 0,
            });

            const received = h.receiver.received.map((request, i) => ({
              index: indexOf.get(request.event.id) ?? -1,
              answer: h.receiver.answers[i],
            }));
            for (const user of new Set(users)) {
              const mine = received.filter(({ index }) => events[index]?.user === user);
              // Requests of one user arrive in enqueue order, retries included.
              const order = mine.map(({ index }) => index);
              expect(order).toEqual([...order].sort((a, b) => a - b));
              // Deliveries of one user end in enqueue order.
              const delivered = ended
                .filter((e) => e.event.user === user && e.outcome === 'delivered')
                .map((e) => indexOf.get(e.event.id) ?? -1);
              expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
            }
            for (const { event, outcome } of ended) {
              const index = indexOf.get(event.id) ?? -1;
              const answers = received.filter((r) => r.index === index).map((r) => r.answer);
              expect(answers.length).toBeLessThanOrEqual(maxAttempts);
              if (outcome === 'dropped') expect(answers).toEqual([]);
              if (outcome === 'delivered') expect(answers.some(isSuccess)).toBe(true);
            }
          } finally {
            await closeHarnesses();
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
