/** The public surface of graph-presence. */
export type {
  ChangeConsumer,
  ChangeRoutes,
  ConsumerSlot,
  RoutedChange,
  TopicDiff,
} from './change-router/index.js';
export * from './delivery/index.js';
export { isValidUserId, MAX_USER_ID_BYTES } from './domain/user-id.js';
export * from './errors.js';
export * from './gateway/index.js';
export * from './last-seen/index.js';
export type { BusChannel, ReplicationTransport } from './ports/bus-channel.js';
export type { FriendsGraph, FriendsGraphChange } from './ports/friends-graph.js';
export {
  DEFAULT_LAST_SEEN_VISIBILITY,
  type LastSeenRecord,
  type LastSeenStore,
  type LastSeenVisibility,
  MAX_LAST_SEEN_BATCH,
} from './ports/last-seen-store.js';
export type { Logger } from './ports/logger.js';
export type { BusChannelKind, NodeBus, NodeBusStats } from './ports/node-bus.js';
export * from './query/index.js';
export * from './server/index.js';
export { createInMemoryBus } from './transports/in-memory-bus.js';
export { createRedisNodeBus } from './transports/redis-node-bus.js';
export { VERSION } from './version.js';
export * from './webhooks/index.js';
