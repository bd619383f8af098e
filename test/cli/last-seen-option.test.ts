/**
 * `--last-seen` / `PRESENCE_LAST_SEEN`: the spec syntax and its defaults, an unreachable or
 * unmigrated store as one line and exit 2 from the real command, and the store a started node
 * hands to createPresenceServer (memory alone, the cluster's Redis with --redis, PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { helpText } from '../../src/cli/help.js';
import { startNode } from '../../src/cli/start-node.js';
import { MemoryLastSeenStore } from '../../src/last-seen/memory-last-seen-store.js';
import { migrateLastSeen } from '../../src/last-seen/postgres-last-seen-schema.js';
import { PostgresLastSeenStore } from '../../src/last-seen/postgres-last-seen-store.js';
import { RedisLastSeenStore } from '../../src/last-seen/redis-last-seen-store.js';
import { recordingLogger } from '../contracts/last-seen-store.contract.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { killAll, runCli } from './support/cli-process.js';
import { TEST_JWT_SECRET, testConfig } from './support/test-config.js';

const DATABASE_URL = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

afterAll(() => killAll());

describe('--last-seen: the spec', () => {
  it('defaults to memory alone and to the --redis URL in a cluster', () => {
    expect(testConfig([]).lastSeen).toMatchObject({ spec: { kind: 'memory' }, explicit: false });
    expect(testConfig(['--redis', 'redis://10.0.0.1:6379/2']).lastSeen).toMatchObject({
      spec: { kind: 'redis', url: 'redis://10.0.0.1:6379/2' },
      explicit: false,
    });
    expect(helpText('0.0.0')).toContain('--last-seen <spec>');
  });

  it('reads memory, redis:<url> and postgres:<url>, from the flag or the variable', () => {
    const spec = (argv: string[], env: Record<string, string> = {}) =>
      testConfig(argv, env).lastSeen.spec;
    expect(spec(['--last-seen', 'memory'])).toEqual({ kind: 'memory' });
    for (const given of ['redis:redis://127.0.0.1:6379/0', 'redis://127.0.0.1:6379/0']) {
      expect(spec(['--last-seen', given])).toEqual({
        kind: 'redis',
        url: 'redis://127.0.0.1:6379/0',
      });
    }
    expect(spec(['--last-seen', 'redis:rediss://h:6380'])).toEqual({
      kind: 'redis',
      url: 'rediss://h:6380',
    });
    expect(spec([], { PRESENCE_LAST_SEEN: 'postgres:postgres://u@db:5432/app' })).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@db:5432/app',
      schema: 'public',
    });
    expect(spec(['--last-seen', 'postgres://u@db/app?schema=presence&sslmode=require'])).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@db/app?sslmode=require',
      schema: 'presence',
    });
    expect(spec(['--last-seen', 'memory'], { PRESENCE_LAST_SEEN: 'redis:redis://x:1' })).toEqual({
      kind: 'memory',
    });
  });

  it('refuses other specs with a CliError naming the flag or the variable', () => {
    for (const bad of [
      '',
      ' ',
      'mongo:x',
      'redis:http://x',
      'redis:not a url',
      'postgres:mysql://x',
      'postgres://x/db?schema=Bad-Name',
      'Memory',
    ]) {
      expect(() => testConfig(['--last-seen', bad]), bad).toThrow(CliError);
      expect(() => testConfig(['--last-seen', bad]), bad).toThrow(/--last-seen/);
    }
    expect(() => testConfig([], { PRESENCE_LAST_SEEN: 'mongo:x' })).toThrow(/PRESENCE_LAST_SEEN/);
  });
});

/** Runs the real command with a valid secret; expects exit 2 with one line, returns it. */
async function usageError(args: string[], env: Record<string, string> = {}): Promise<string> {
  const run = runCli(['--port', '0', ...args], { PRESENCE_JWT_SECRET: TEST_JWT_SECRET, ...env });
  const { code } = await run.exited;
  expect(code).toBe(2);
  const lines = run.plainStderrLines();
  expect(lines).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0]!;
}

describe('--last-seen: a store that does not answer at start is exit 2 with one line', () => {
  it('an unreachable Redis names --last-seen', async () => {
    const line = await usageError(['--last-seen', 'redis:redis://127.0.0.1:1']);
    expect(line).toContain('--last-seen');
    expect(line).toContain('redis://127.0.0.1:1');
  });

  it('an unreachable PostgreSQL named by the variable names it', async () => {
    const line = await usageError([], {
      PRESENCE_LAST_SEEN: 'postgres:postgres://postgres:secret@127.0.0.1:1/test',
    });
    expect(line).toContain('PRESENCE_LAST_SEEN');
    expect(line).toContain('postgres://postgres:***@127.0.0.1:1/test');
    expect(line).not.toContain('secret');
  });

  it('a PostgreSQL schema without the migration names the migrate command', async () => {
    const schema = `gp_test_cli_${randomBytes(6).toString('hex')}`;
    const line = await usageError(['--last-seen', `postgres:${DATABASE_URL}?schema=${schema}`]);
    expect(line).toContain('--last-seen');
    expect(line).toContain('npm run last-seen:migrate');
  });
});

describe('--last-seen: the store a node opens, passes to the server and closes', () => {
  let redis: RedisServer;
  let pool: pg.Pool;
  const schema = `gp_test_cli_${randomBytes(6).toString('hex')}`;
  beforeAll(async () => {
    redis = await startRedisServer();
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    await migrateLastSeen(pool, schema);
  });
  afterAll(async () => {
    await redis.dispose();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  const start = (argv: string[], logger = recordingLogger()) =>
    startNode(
      testConfig(['--port', '0', '--node-name', `n-${randomBytes(4).toString('hex')}`, ...argv]),
      logger,
    );

  it('memory alone', async () => {
    const node = await start([]);
    try {
      expect(node.presence.lastSeenStore).toBeInstanceOf(MemoryLastSeenStore);
    } finally {
      await node.shutdown();
    }
  });

  it("the cluster's Redis by default with --redis; the store is closed at shutdown", async () => {
    const node = await start(['--redis', redis.url]);
    const store = node.presence.lastSeenStore;
    expect(store).toBeInstanceOf(RedisLastSeenStore);
    await store?.record('alice', 5);
    expect((await store?.get(['alice']))?.get('alice')?.lastSeen).toBe(5);
    await node.shutdown();
    await expect(store?.get(['alice'])).rejects.toMatchObject({
      code: 'PRESENCE_LAST_SEEN_CLOSED',
    });
  });

  it('memory given in a cluster works but is warned about', async () => {
    const logger = recordingLogger();
    const node = await start(['--redis', redis.url, '--last-seen', 'memory'], logger);
    try {
      expect(node.presence.lastSeenStore).toBeInstanceOf(MemoryLastSeenStore);
      expect(logger.warnings).toContainEqual({ lastSeen: 'memory' });
    } finally {
      await node.shutdown();
    }
  });

  it('PostgreSQL in the schema the spec names; last seen survives a restart', async () => {
    const spec = `postgres:${DATABASE_URL}?schema=${schema}`;
    const first = await start(['--last-seen', spec]);
    expect(first.presence.lastSeenStore).toBeInstanceOf(PostgresLastSeenStore);
    await first.presence.lastSeenStore?.record('bob', 77);
    await first.shutdown();
    const second = await start(['--last-seen', spec]);
    try {
      expect((await second.presence.lastSeenStore?.get(['bob']))?.get('bob')?.lastSeen).toBe(77);
    } finally {
      await second.shutdown();
    }
  });
});
