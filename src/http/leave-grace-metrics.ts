/**
 * Prometheus metrics of the gateway's leave grace: connections dropped and still shown now, how
 * many of those a reconnect of the same device took over (no leave, no join for friends), and how
 * many ran out of grace and left.
 */
import { Gauge, type Registry } from 'prom-client';
import type { GatewayStats } from '../gateway/presence-gateway.js';
import { monotonic } from './metrics.js';

export function registerLeaveGraceMetrics(registry: Registry, stats: () => GatewayStats): void {
  new Gauge({
    name: 'presence_graced_connections',
    help: 'Dropped connections still shown to friends during their leave grace',
    registers: [registry],
    collect() {
      this.set(stats().graced);
    },
  });
  monotonic(
    registry,
    'presence_leave_grace_resumed_total',
    'Graced connections taken over by a reconnect of the same user and device',
    () => stats().graceResumed,
  );
  monotonic(
    registry,
    'presence_leave_grace_expired_total',
    'Graced connections untracked when their leave grace ran out',
    () => stats().graceExpired,
  );
}
