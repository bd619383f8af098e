/**
 * The webhook sender's Prometheus metrics, read from a sender that really delivered, retried,
 * was refused and dropped against a receiver on 127.0.0.1; counters only grow between scrapes.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerWebhookMetrics } from '../../src/http/webhook-metrics.js';
import { closeHarnesses, drain, harness, online } from './support/sender-harness.js';

afterEach(closeHarnesses);

describe('registerWebhookMetrics', () => {
  it('counts events by outcome, attempts by result, and shows the queue depth', async () => {
    // alice: 500 then 200; bob: 400; carol: dropped (queue of 2).
    let aliceTries = 0;
    const h = await harness(
      (request) => (request.event.user === 'bob' ? 400 : aliceTries++ === 0 ? 500 : 200),
      { maxQueue: 2 },
    );
    const registry = new Registry();
    registerWebhookMetrics(registry, h.sender);
    const before = await registry.metrics();
    expect(before).toContain('presence_webhook_events_total{outcome="delivered"} 0');
    expect(before).toContain('presence_webhook_queue_depth 0');

    for (const user of ['alice', 'bob', 'carol']) h.sender.enqueue(online(user));
    expect(await registry.metrics()).toContain('presence_webhook_queue_depth 2');
    await drain(h);

    const text = await registry.metrics();
    for (const line of [
      'presence_webhook_events_total{outcome="delivered"} 1',
      'presence_webhook_events_total{outcome="failed"} 1',
      'presence_webhook_events_total{outcome="dropped"} 1',
      'presence_webhook_attempts_total{result="ok"} 1',
      'presence_webhook_attempts_total{result="retry"} 1',
      'presence_webhook_attempts_total{result="refused"} 1',
      'presence_webhook_queue_depth 0',
    ]) {
      expect(text).toContain(line);
    }
    // A second scrape adds nothing new.
    expect(await registry.metrics()).toContain(
      'presence_webhook_events_total{outcome="delivered"} 1',
    );
  });
});
