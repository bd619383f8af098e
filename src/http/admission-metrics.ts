/**
 * Prometheus metrics of the gateway's admission control: how many connections are being admitted
 * and waiting now, and how many were turned away (refused as overloaded, given up while waiting,
 * refused by authentication), so an operator sees a reconnect storm being absorbed.
 */
import { Gauge, type Registry } from 'prom-client';
import type { GatewayStats } from '../gateway/presence-gateway.js';
import { monotonic } from './metrics.js';

export function registerAdmissionMetrics(registry: Registry, stats: () => GatewayStats): void {
  new Gauge({
    name: 'presence_admission_in_progress',
    help: 'Connections being admitted now (handshake to first presence_state)',
    registers: [registry],
    collect() {
      this.set(stats().admitting);
    },
  });
  new Gauge({
    name: 'presence_admission_queue',
    help: 'Handshakes waiting for an admission slot',
    registers: [registry],
    collect() {
      this.set(stats().admissionQueue);
    },
  });
  monotonic(
    registry,
    'presence_connections_overloaded_total',
    'Handshakes refused with overloaded (admission queue full)',
    () => stats().overloaded,
  );
  monotonic(
    registry,
    'presence_connections_draining_total',
    'Handshakes refused with draining (the node is stopping: the retry goes to another node)',
    () => stats().drainRefused,
  );
  monotonic(
    registry,
    'presence_connections_abandoned_total',
    'Waiting handshakes whose client went away before its turn',
    () => stats().abandoned,
  );
  monotonic(
    registry,
    'presence_connections_unauthorized_total',
    'Handshakes refused by authentication',
    () => stats().refused,
  );
}
