/**
 * Delivery metrics: deliveries by outcome (delivered, fallback: handed to the hook, failed: no
 * hook or the hook failed), retries by kind (broadcast to every node, re-send to a node where the
 * user joined), pending deliveries, dropped frames, and the latency of delivered ones (from the
 * `deliver` call to the ack that settled it).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Deliverer } from '../delivery/deliverer.js';

/** Registers the metrics of `deliverer`; returns a function that stops observing it. */
export function registerDeliveryMetrics(registry: Registry, deliverer: Deliverer): () => void {
  const outcomes = new Counter({
    name: 'presence_deliveries_total',
    help: 'Settled deliveries by outcome: delivered (a client acked), fallback (handed to the hook), failed (no hook, or it failed)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['delivered', 'fallback', 'failed']) outcomes.inc({ outcome }, 0);
  const latency = new Histogram({
    name: 'presence_delivery_seconds',
    help: 'From deliver() to the client ack that settled it (delivered messages only)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const seen = { broadcast: 0, join: 0, dropped: 0 };
  const retries = new Counter({
    name: 'presence_delivery_retries_total',
    help: 'Delivery retries: broadcast (every node, presence was stale or slow) and join (re-sent where the user connected)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const stats = deliverer.stats();
      this.inc({ kind: 'broadcast' }, stats.broadcasts - seen.broadcast);
      this.inc({ kind: 'join' }, stats.joinRetries - seen.join);
      seen.broadcast = stats.broadcasts;
      seen.join = stats.joinRetries;
    },
  });
  retries.inc({ kind: 'broadcast' }, 0);
  new Counter({
    name: 'presence_delivery_frames_dropped_total',
    help: 'Delivery frames dropped as undecodable',
    registers: [registry],
    collect() {
      const { framesDropped } = deliverer.stats();
      this.inc(framesDropped - seen.dropped);
      seen.dropped = framesDropped;
    },
  });
  new Gauge({
    name: 'presence_deliveries_pending',
    help: 'Deliveries waiting for an ack on this node',
    registers: [registry],
    collect() {
      this.set(deliverer.stats().pending);
    },
  });
  return deliverer.onSettled((result, latencyMs) => {
    if (result.delivered) {
      outcomes.inc({ outcome: 'delivered' });
      latency.observe(latencyMs / 1000);
    } else {
      outcomes.inc({ outcome: result.fallback ? 'fallback' : 'failed' });
    }
  });
}
