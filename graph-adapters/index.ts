/** Every friends-graph adapter, and `openFriendsGraph` to pick one from a `--graph` spec. */
export * from './graphology/index.js';
export * from './http/index.js';
export {
  type GraphSpec,
  type OpenFriendsGraphOptions,
  openFriendsGraph,
  parseGraphSpec,
} from './open-friends-graph.js';
export {
  changesChannel,
  DEFAULT_SCHEMA,
  migrateFriendsGraph,
  migrationSql,
  PostgresFriendsGraph,
  type PostgresFriendsGraphOptions,
} from './postgres/index.js';
export {
  createKeySchema,
  DEFAULT_KEY_PREFIX,
  RedisFriendsGraph,
  type RedisFriendsGraphOptions,
  type RedisKeySchema,
} from './redis/index.js';
