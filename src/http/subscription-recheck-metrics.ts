/**
 * Prometheus metric of the periodic subscription re-check: friends it added or removed. Each is
 * a graph change this node never heard (a lost webhook or relay message), so a rising count
 * points at the change feed.
 */
import type { Registry } from 'prom-client';
import type { GatewayStats } from '../gateway/presence-gateway.js';
import { monotonic } from './metrics.js';

export function registerSubscriptionRecheckMetrics(
  registry: Registry,
  stats: () => GatewayStats,
): void {
  monotonic(
    registry,
    'presence_subscription_corrections_total',
    'Friends added to or removed from a connection by the periodic re-check against the graph (missed graph changes)',
    () => stats().subscriptionCorrections,
  );
}
