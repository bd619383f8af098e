/** Every friends-graph adapter. (The server's `--graph` spec is opened by src/cli/open-graph.ts.) */
export * from './graphology/index.js';
export * from './http/index.js';
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
