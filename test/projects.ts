/**
 * Which test files are integration tests: they start real processes (the CLI, replica
 * processes, redis-server), use Redis or PostgreSQL, or drive a browser. Everything else is a
 * unit test: pure, or in-process with real sockets. vitest.config.ts splits the suite with this
 * list; test/architecture/test-projects.test.ts checks that it misses no such file.
 */
export const INTEGRATION_TESTS: readonly string[] = [
  'test/integration/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/load/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/deploy/**/*.test.ts',
  'test/graph-adapters/redis.test.ts',
  'test/graph-adapters/postgres.test.ts',
  'test/transports/redis-node-bus.test.ts',
  'test/transports/redis-cluster-bus.test.ts',
  'test/transports/redis-sentinel-bus.test.ts',
  'test/transports/redis-server-harness.test.ts',
  'test/delivery/delivery-route.test.ts',
  'test/delivery/race.test.ts',
  'test/http/presence-query-route.test.ts',
  'test/last-seen/redis.test.ts',
  'test/last-seen/postgres.test.ts',
  'test/last-seen/last-seen-outage.test.ts',
  'test/security/bus-replays.test.ts',
  'test/security/cluster-isolation.test.ts',
  'test/security/cluster-secret-rotation.test.ts',
  'test/security/forged-frames.test.ts',
  'test/security/http-admin.test.ts',
  'test/security/last-seen-store-trust.test.ts',
  'test/security/safe-defaults.test.ts',
  'test/security/token-policy.test.ts',
];
