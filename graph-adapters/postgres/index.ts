/** The PostgreSQL friends-graph adapter: a friendships table, changes over LISTEN/NOTIFY. */
export {
  type EdgeTuple,
  PostgresFriendsGraph,
  type PostgresFriendsGraphOptions,
} from './postgres-friends-graph.js';
export {
  changesChannel,
  DEFAULT_SCHEMA,
  migrateFriendsGraph,
  migrationSql,
} from './postgres-schema.js';
