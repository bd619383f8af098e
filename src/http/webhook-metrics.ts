/**
 * Prometheus metrics of the online/offline webhook sender: how events ended (delivered, failed
 * after their tries or refused, dropped because the queue was full), how tries went, and how many
 * events are held. A growing queue or dropped count means the receiver is down or too slow.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WebhookSender } from '../webhooks/webhook-sender.js';

export function registerWebhookMetrics(registry: Registry, sender: WebhookSender): void {
  labelledMonotonic(
    registry,
    'presence_webhook_events_total',
    'Webhook events by how they ended: delivered (2xx), failed (refused or out of tries), dropped (queue full)',
    'outcome',
    () => {
      const { delivered, failed, dropped } = sender.stats;
      return { delivered, failed, dropped };
    },
  );
  labelledMonotonic(
    registry,
    'presence_webhook_attempts_total',
    'Webhook requests by result: ok (2xx), retry (408, 429, 5xx, network error, timeout), refused (other 4xx, redirect)',
    'result',
    () => {
      const { delivered, retried, refused } = sender.stats;
      return { ok: delivered, retry: retried, refused };
    },
  );
  new Gauge({
    name: 'presence_webhook_queue_depth',
    help: 'Webhook events held: waiting, waiting to retry or in flight',
    registers: [registry],
    collect() {
      this.set(sender.stats.queueDepth);
    },
  });
}

/** A counter with one label whose totals are read from the sender at scrape time. */
function labelledMonotonic(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  read: () => Record<string, number>,
): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, total] of Object.entries(read())) {
        const previous = last.get(value) ?? 0;
        // Every label value shows from the first scrape, at 0 when nothing happened yet.
        this.inc({ [label]: value }, Math.max(0, total - previous));
        last.set(value, total);
      }
    },
  });
}
