/**
 * Prometheus metrics of one node (prom-client, a registry of its own): connections, visible
 * presences, replicas up/down, deltas, transfers, dropped frames, fan-out latency and the
 * default Node.js metrics (event-loop lag among them).
 *
 * Fan-out time: the change router (src/change-router/) times its fan-out consumer (a change into
 * per-socket outboxes) and hands the time to the consumers after it; the metrics consumer, last,
 * observes it. The writes happen later, when the outboxes flush.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ChangeRoutes } from '../change-router/change-routes.js';
import type { Deliverer } from '../delivery/deliverer.js';
import type { TransportStats } from '../ports/bus-channel.js';
import type { NodeBusStats } from '../ports/node-bus.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import { registerDeliveryMetrics } from './delivery-metrics.js';

export interface MetricsSources {
  readonly replica: PresenceTracker;
  /** The server's change router: the fan-out's time of each change is read there. */
  readonly changes: ChangeRoutes;
  /** Open client connections on this node. */
  readonly connections: () => number;
  /** The node bus (or transports) whose dropped frames are counted. */
  readonly transports: readonly { stats(): TransportStats & Partial<NodeBusStats> }[];
  /** Graph relay frames dropped as invalid. */
  readonly relayFramesDropped?: () => number;
  /** The node's delivery service, when it has one. */
  readonly delivery?: Deliverer | undefined;
}

export interface PresenceMetrics {
  readonly registry: Registry;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
  /** Stops timing fan-outs. */
  close(): void;
}

export function createPresenceMetrics(sources: MetricsSources): PresenceMetrics {
  const { replica } = sources;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'presence_connections',
    help: 'Open client connections on this node',
    registers: [registry],
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: 'presence_presences',
    help: 'Visible presence entries in this replica (all nodes)',
    registers: [registry],
    collect() {
      this.set(replica.view.size);
    },
  });
  new Gauge({
    name: 'presence_replicas',
    help: 'Other replicas known to this node, by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const { up, down } = replica.health.counts();
      this.set({ status: 'up' }, up);
      this.set({ status: 'down' }, down);
    },
  });
  monotonic(
    registry,
    'presence_deltas_sent_total',
    'Deltas broadcast',
    () => replica.stats.deltasSent,
  );
  monotonic(
    registry,
    'presence_deltas_merged_total',
    'Remote deltas merged',
    () => replica.stats.deltasMerged,
  );
  monotonic(
    registry,
    'presence_transfers_requested_total',
    'Transfer requests sent',
    () => replica.stats.transferRequestsSent,
  );
  monotonic(
    registry,
    'presence_transfers_served_total',
    'Transfer requests answered',
    () => replica.stats.transferRequestsServed,
  );
  const seen = new Map<string, number>();
  // The totals are read at scrape time, so the registry alone (presence.metrics) is complete.
  new Counter({
    name: 'presence_transport_frames_dropped_total',
    help: 'Replication frames dropped, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, total] of Object.entries(droppedTotals(sources))) {
        const delta = total - (seen.get(reason) ?? 0);
        // inc(0) too: every reason is exported from the first scrape.
        if (delta >= 0) this.inc({ reason }, delta);
        seen.set(reason, total);
      }
    },
  });
  const fanOut = new Histogram({
    name: 'presence_fanout_seconds',
    help: 'From a tracker diff to its changes owed to every watching socket, on this node',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  const stopTimingFanOut = sources.changes.attach('metrics', {
    changed: ({ fanOutSeconds }) => {
      if (fanOutSeconds !== undefined) fanOut.observe(fanOutSeconds);
    },
  });
  const stopDeliveryMetrics = sources.delivery
    ? registerDeliveryMetrics(registry, sources.delivery)
    : undefined;

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      return registry.metrics();
    },
    close() {
      stopTimingFanOut();
      stopDeliveryMetrics?.();
    },
  };
}

function droppedTotals(sources: MetricsSources): Record<string, number> {
  const { replica } = sources;
  let linkDown = 0;
  let malformed = 0;
  let unauthenticated = 0;
  let replayed = 0;
  for (const transport of sources.transports) {
    const stats = transport.stats();
    linkDown += stats.framesDroppedLinkDown;
    malformed += stats.framesDroppedMalformed;
    unauthenticated += stats.framesDroppedUnauthenticated ?? 0;
    replayed += stats.framesDroppedReplayed ?? 0;
  }
  return {
    link_down: linkDown,
    malformed_envelope: malformed,
    unauthenticated,
    replayed,
    wrong_sender: replica.stats.framesRefused,
    undecodable: replica.stats.framesDropped,
    invalid_graph_change: sources.relayFramesDropped?.() ?? 0,
  };
}

/** A counter mirroring a monotonic total read from elsewhere at scrape time. */
export function monotonic(
  registry: Registry,
  name: string,
  help: string,
  read: () => number,
): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const total = read();
      if (total > last) this.inc(total - last);
      last = total;
    },
  });
}
