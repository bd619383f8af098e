/** The public surface of graph-presence. */
export type {
  ChangeConsumer,
  ChangeRoutes,
  ConsumerSlot,
  RoutedChange,
  TopicDiff,
} from './change-router/index.js';

// Types of the server's handles and options that docs/ name.
export type {
  FriendsOnlineCount,
  OnlineCounts,
  PresenceCounts,
  TopicCounts,
} from './counts/presence-counts.js';
export type { CountRoomOptions } from './counts/room-options.js';
export * from './delivery/index.js';
export { isValidUserId, MAX_USER_ID_BYTES, type UserId } from './domain/user-id.js';
export * from './errors.js';
export * from './gateway/index.js';
export * from './last-seen/index.js';
export type { BusChannel, ReplicationTransport } from './ports/bus-channel.js';
export {
  type EdgeChange,
  type FriendsGraph,
  type FriendsGraphChange,
  type FriendsGraphChangeRelay,
  type FriendsGraphEditor,
  type FriendsGraphErrorListener,
  type FriendsGraphListener,
  GRAPH_PROBE_USER,
} from './ports/friends-graph.js';
export {
  DEFAULT_LAST_SEEN_VISIBILITY,
  type LastSeenRecord,
  type LastSeenStore,
  type LastSeenVisibility,
  MAX_LAST_SEEN_BATCH,
} from './ports/last-seen-store.js';
export type { Logger } from './ports/logger.js';
export type { BusChannelKind, NodeBus, NodeBusStats } from './ports/node-bus.js';
export type { PresenceTracker, TrackerView } from './ports/presence-tracker.js';
export * from './query/index.js';
export type { ReplicaTimingOptions } from './runtime/replica-options.js';
export * from './server/index.js';
export { replayWindowMs } from './transports/frame-freshness.js';
export { createInMemoryBus } from './transports/in-memory-bus.js';
export { createRedisNodeBus } from './transports/redis-node-bus.js';
export type {
  UserOnlineFeed,
  UserOnlineStats,
  UserOnlineTransition,
} from './user-online/user-online-feed.js';
export { VERSION } from './version.js';
export * from './webhooks/index.js';
export type { WebhookOptions } from './webhooks/webhook-options.js';
export type { WebhookSender } from './webhooks/webhook-sender.js';
