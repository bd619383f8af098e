/**
 * Prometheus counters of the gateway's abuse limits: connections closed for a packet flood,
 * handshakes refused by the per-address rate limit, connections closed for an oversize frame.
 */
import type { Registry } from 'prom-client';
import type { GatewayStats } from '../gateway/presence-gateway.js';
import { monotonic } from './metrics.js';

export function registerAbuseMetrics(registry: Registry, stats: () => GatewayStats): void {
  monotonic(
    registry,
    'presence_connections_flooding_total',
    'Connections closed for going over their inbound packet budget (too_many_packets)',
    () => stats().packetFloods,
  );
  monotonic(
    registry,
    'presence_handshakes_rate_limited_total',
    'Handshakes refused by the per-address rate limit (too_many_handshakes)',
    () => stats().handshakesRateLimited,
  );
  monotonic(
    registry,
    'presence_frames_too_large_total',
    'Connections closed for sending a frame over maxHttpBufferSize (WebSocket close 1009)',
    () => stats().framesTooLarge,
  );
}
