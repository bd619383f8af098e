/** The Redis friends-graph adapter: one set per user and edge kind, changes over pub/sub. */

export type { EdgeTuple } from '../shared/edge-tuple.js';
export {
  RedisFriendsGraph,
  type RedisFriendsGraphOptions,
} from './redis-friends-graph.js';
export { createKeySchema, DEFAULT_KEY_PREFIX, type RedisKeySchema } from './redis-key-schema.js';
