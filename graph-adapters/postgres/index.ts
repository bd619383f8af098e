/** The PostgreSQL friends-graph adapter: a friendships table, changes over LISTEN/NOTIFY. */
export type { EdgeTuple } from '../shared/edge-tuple.js';
export {
  PostgresFriendsGraph,
  type PostgresFriendsGraphOptions,
} from './postgres-friends-graph.js';
export {
  changesChannel,
  DEFAULT_SCHEMA,
  migrateFriendsGraph,
  migrationSql,
} from './postgres-schema.js';
