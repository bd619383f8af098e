/**
 * Prometheus metrics of the per-socket batching of presence diffs
 * (gateway/outbound/diff-outboxes.ts): how many messages went out and how many deliveries they
 * carried (their ratio is the batching's gain), the current batch window and the sockets waiting
 * for a flush.
 */
import { Gauge, type Registry } from 'prom-client';
import type { GatewayStats } from '../gateway/presence-gateway.js';
import { monotonic } from './metrics.js';

export function registerFanOutMetrics(registry: Registry, stats: () => GatewayStats): void {
  monotonic(
    registry,
    'presence_diff_messages_total',
    'presence_diff messages written to sockets (one write each)',
    () => stats().diffs.messages,
  );
  monotonic(
    registry,
    'presence_diff_deliveries_total',
    'Metas carried by those messages: one change delivered to one socket each',
    () => stats().diffs.metas,
  );
  monotonic(
    registry,
    'presence_foreign_key_entries_dropped_total',
    "Tracker entries not sent to clients because their key was not their topic's (a forged or buggy peer)",
    () => stats().foreignKeyEntries,
  );
  new Gauge({
    name: 'presence_batch_window_seconds',
    help: 'How long owed diffs wait to be merged now (0 while the node keeps up)',
    registers: [registry],
    collect() {
      this.set(stats().diffs.windowMs / 1000);
    },
  });
  new Gauge({
    name: 'presence_diff_outboxes_pending',
    help: 'Sockets with diffs waiting to be flushed',
    registers: [registry],
    collect() {
      this.set(stats().diffs.pending);
    },
  });
}
