/**
 * Every Prometheus metric of one node in one registry (docs/usage.md lists them): the replica's,
 * the gateway's, counts, delivery, users online and last seen, webhooks. Built by the server on
 * first use of `presence.metrics` or `presence.http()`; the CLI serves the same registry.
 */

import type { ChangeRoutes } from '../change-router/change-routes.js';
import { registerCountMetrics } from '../counts/count-metrics.js';
import type { PresenceCounts } from '../counts/presence-counts.js';
import type { Deliverer } from '../delivery/deliverer.js';
import type { PresenceGateway } from '../gateway/presence-gateway.js';
import { registerAbuseMetrics } from '../http/abuse-metrics.js';
import { registerAdmissionMetrics } from '../http/admission-metrics.js';
import { registerFanOutMetrics } from '../http/fan-out-metrics.js';
import { registerLeaveGraceMetrics } from '../http/leave-grace-metrics.js';
import { createPresenceMetrics, type PresenceMetrics } from '../http/metrics.js';
import { registerSubscriptionRecheckMetrics } from '../http/subscription-recheck-metrics.js';
import { registerUserOnlineMetrics } from '../http/user-online-metrics.js';
import { registerWebhookMetrics } from '../http/webhook-metrics.js';
import type { LastSeenReadStats } from '../last-seen/last-seen-reads.js';
import type { LastSeenRecorderStats } from '../last-seen/last-seen-recorder.js';
import type { TransportStats } from '../ports/bus-channel.js';
import type { NodeBusStats } from '../ports/node-bus.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import type { UserOnlineFeed } from '../user-online/user-online-feed.js';
import type { WebhookSender } from '../webhooks/webhook-sender.js';

export interface NodeMetricsSources {
  readonly replica: PresenceTracker;
  readonly changes: ChangeRoutes;
  readonly gateway: PresenceGateway;
  readonly counts: PresenceCounts;
  readonly online: UserOnlineFeed;
  readonly transports: readonly { stats(): TransportStats & Partial<NodeBusStats> }[];
  readonly delivery: Deliverer | undefined;
  readonly webhooks: WebhookSender | undefined;
  readonly lastSeenStats:
    | { readonly reads: LastSeenReadStats; readonly writes: LastSeenRecorderStats }
    | undefined;
  readonly relayFramesDropped: (() => number) | undefined;
}

export function createNodeMetrics(sources: NodeMetricsSources): PresenceMetrics {
  const { gateway } = sources;
  const metrics = createPresenceMetrics({
    replica: sources.replica,
    changes: sources.changes,
    connections: () => gateway.stats().connections,
    transports: sources.transports,
    relayFramesDropped: sources.relayFramesDropped,
    delivery: sources.delivery,
  });
  const { registry } = metrics;
  registerCountMetrics(registry, sources.counts);
  registerAdmissionMetrics(registry, () => gateway.stats());
  registerAbuseMetrics(registry, () => gateway.stats());
  registerFanOutMetrics(registry, () => gateway.stats());
  registerLeaveGraceMetrics(registry, () => gateway.stats());
  registerSubscriptionRecheckMetrics(registry, () => gateway.stats());
  registerUserOnlineMetrics(registry, sources.online, sources.lastSeenStats);
  if (sources.webhooks) registerWebhookMetrics(registry, sources.webhooks);
  return metrics;
}
