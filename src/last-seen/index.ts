/** The last-seen stores (src/ports/last-seen-store.ts): memory, Redis, PostgreSQL. */
export { DEFAULT_LAST_SEEN_TIMEOUT_MS } from './last-seen-deadline.js';
export { MemoryLastSeenStore } from './memory-last-seen-store.js';
export {
  DEFAULT_LAST_SEEN_SCHEMA,
  LAST_SEEN_MIGRATIONS,
  LATEST_LAST_SEEN_VERSION,
  type LastSeenMigrationStatus,
  lastSeenMigrationSql,
  lastSeenMigrationStatus,
  migrateLastSeen,
} from './postgres-last-seen-schema.js';
export {
  PostgresLastSeenStore,
  type PostgresLastSeenStoreOptions,
} from './postgres-last-seen-store.js';
export {
  DEFAULT_LAST_SEEN_KEY_PREFIX,
  RedisLastSeenStore,
  type RedisLastSeenStoreOptions,
} from './redis-last-seen-store.js';
