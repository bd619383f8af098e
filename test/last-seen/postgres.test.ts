/**
 * The PostgreSQL last-seen store against the real server on 127.0.0.1:5432 (database `test`),
 * each fixture in its own schema, dropped afterwards; its migrations and migrate command.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LATEST_LAST_SEEN_VERSION,
  lastSeenMigrationSql,
  lastSeenMigrationStatus,
  migrateLastSeen,
} from '../../src/last-seen/postgres-last-seen-schema.js';
import { PostgresLastSeenStore } from '../../src/last-seen/postgres-last-seen-store.js';
import type { LastSeenStore } from '../../src/ports/last-seen-store.js';
import {
  describeLastSeenStoreContract,
  recordingLogger,
} from '../contracts/last-seen-store.contract.js';
import { waitFor } from '../support/wait-for.js';
import { startTcpLink, type TcpLink } from './support/tcp-link.js';

const DATABASE_URL = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const newSchema = () => `gp_test_ls_${randomBytes(6).toString('hex')}`;
const run = promisify(execFile);

async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

describeLastSeenStoreContract(
  'postgres',
  async () => {
    const schema = newSchema();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
    await migrateLastSeen(pool, schema);
    const opened: LastSeenStore[] = [];
    const insert = (user: string, lastSeen: string | null, visibility: string | null) =>
      pool.query(
        `INSERT INTO ${schema}.presence_last_seen (user_id, last_seen, visibility) VALUES ($1, $2, $3)`,
        [user, lastSeen, visibility],
      );
    return {
      async open(options) {
        // The first store shares an injected pool; later ones create their own.
        const source = opened.length === 0 ? { pool } : { connectionString: DATABASE_URL };
        const store = await PostgresLastSeenStore.connect({
          ...source,
          schema,
          logger: options?.logger,
          now: options?.now,
          clusterSecret: options?.clusterSecret,
          previousClusterSecret: options?.previousClusterSecret,
        });
        opened.push(store);
        return store;
      },
      refusedValues: (store) => (store as PostgresLastSeenStore).refusedValues,
      async readRaw(user) {
        const { rows } = await pool.query(
          `SELECT last_seen::text AS at, last_seen_mac AS "atMac", visibility,
             visibility_mac AS "visibilityMac" FROM ${schema}.presence_last_seen WHERE user_id = $1`,
          [user],
        );
        return rows[0] ?? { at: null, atMac: null, visibility: null, visibilityMac: null };
      },
      async writeRaw(user, values) {
        const columns = {
          at: 'last_seen',
          atMac: 'last_seen_mac',
          visibility: 'visibility',
          visibilityMac: 'visibility_mac',
        } as const;
        await pool.query(
          `INSERT INTO ${schema}.presence_last_seen (user_id) VALUES ($1) ON CONFLICT DO NOTHING`,
          [user],
        );
        for (const [name, column] of Object.entries(columns)) {
          const value = values[name as keyof typeof columns];
          if (value === undefined) continue;
          await pool.query(
            `UPDATE ${schema}.presence_last_seen SET ${column} = $2 WHERE user_id = $1`,
            [user, value],
          );
        }
      },
      corruptions: {
        negative: async (user) => {
          await insert(user, '-5', null);
        },
        'beyond-safe-integer': async (user) => {
          await insert(user, String(2n ** 60n), 'friends');
        },
        'unknown-visibility': async (user) => {
          await insert(user, '5', 'everyone');
        },
      },
      async cleanup() {
        await Promise.all(opened.map((store) => store.close()));
        await dropSchema(pool, schema);
        await pool.end();
      },
    };
  },
  { persistent: true },
);

describe('postgres last-seen store: migrations and failures', () => {
  const schemas: string[] = [];
  let pool: pg.Pool;
  const schema = () => {
    const name = newSchema();
    schemas.push(name);
    return name;
  };
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  });
  afterAll(async () => {
    for (const name of schemas) await dropSchema(pool, name);
    await pool.end();
  });

  it('migrations are versioned and idempotent, also when two run at once', async () => {
    const name = schema();
    expect(await lastSeenMigrationStatus(pool, name)).toEqual({ current: 0, pending: [1, 2] });
    const other = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    try {
      const [first, second] = await Promise.all([
        migrateLastSeen(pool, name),
        migrateLastSeen(other, name),
      ]);
      expect([...first, ...second]).toEqual([1, 2]);
    } finally {
      await other.end();
    }
    expect(await migrateLastSeen(pool, name)).toEqual([]);
    expect(await lastSeenMigrationStatus(pool, name)).toEqual({
      current: LATEST_LAST_SEEN_VERSION,
      pending: [],
    });
    const store = await PostgresLastSeenStore.connect({ pool, schema: name });
    await store.record('alice', 1);
    await store.close();
  });

  it('repairs a stored last seen out of range on the next record', async () => {
    const name = schema();
    await migrateLastSeen(pool, name);
    const store = await PostgresLastSeenStore.connect({ pool, schema: name });
    try {
      for (const bad of ['-5', String(2n ** 60n)]) {
        await pool.query(
          `INSERT INTO ${name}.presence_last_seen (user_id, last_seen) VALUES ('broken', $1)
           ON CONFLICT (user_id) DO UPDATE SET last_seen = EXCLUDED.last_seen`,
          [bad],
        );
        expect((await store.get(['broken'])).size, bad).toBe(0);
        await store.record('broken', 9);
        expect((await store.get(['broken'])).get('broken')?.lastSeen, bad).toBe(9);
      }
    } finally {
      await store.close();
    }
  });

  it('refuses to open on a schema that lacks a migration, naming the command', async () => {
    const name = schema();
    await expect(
      PostgresLastSeenStore.connect({ connectionString: DATABASE_URL, schema: name }),
    ).rejects.toMatchObject({
      code: 'PRESENCE_LAST_SEEN_UNAVAILABLE',
      message: expect.stringContaining('npm run last-seen:migrate'),
    });
  });

  it('fails to open on an unreachable server with PRESENCE_LAST_SEEN_UNAVAILABLE', async () => {
    await expect(
      PostgresLastSeenStore.connect({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        timeoutMs: 1_000,
      }),
    ).rejects.toMatchObject({
      code: expect.stringMatching(/^PRESENCE_LAST_SEEN_(UNAVAILABLE|TIMEOUT)$/),
      message: expect.stringContaining('PostgreSQL'),
    });
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      PostgresLastSeenStore.connect({ pool, schema: 'x; DROP TABLE y' }),
    ).rejects.toMatchObject({ code: 'PRESENCE_INVALID_OPTION' });
    expect(() => lastSeenMigrationSql('Public')).toThrow(/lower-case identifier/);
  });

  it('the migrate command applies, reports and prints the same schema', async () => {
    const name = schema();
    const command = ['--import', 'tsx', 'src/last-seen/migrate.ts'];
    const status = await run(process.execPath, [
      ...command,
      DATABASE_URL,
      '--schema',
      name,
      '--status',
    ]);
    expect(status.stdout).toContain('version 0 of 2, pending 1, 2');
    const applied = await run(process.execPath, [...command, DATABASE_URL, '--schema', name]);
    expect(applied.stdout).toContain(`"${name}" is up to date (version 2; applied 1, 2)`);
    const again = await run(process.execPath, [...command, DATABASE_URL, '--schema', name]);
    expect(again.stdout).toContain('(version 2)');

    // The printed SQL, applied by another tool, makes a schema the store accepts.
    const printedSchema = schema();
    const printed = await run(process.execPath, [...command, '--print', '--schema', printedSchema]);
    await pool.query(printed.stdout);
    expect(await lastSeenMigrationStatus(pool, printedSchema)).toEqual({ current: 2, pending: [] });
    const store = await PostgresLastSeenStore.connect({ pool, schema: printedSchema });
    await store.close();
  });
});

describe('postgres last-seen store: an outage', () => {
  const schema = newSchema();
  let pool: pg.Pool;
  let link: TcpLink;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    await migrateLastSeen(pool, schema);
    link = await startTcpLink(Number(new URL(DATABASE_URL).port || 5432));
  });
  afterAll(async () => {
    await link.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('rejects instead of hanging when the link is cut or stalls, and recovers after', async () => {
    const viaLink = new URL(DATABASE_URL);
    viaLink.port = String(link.port);
    const logger = recordingLogger();
    const store = await PostgresLastSeenStore.connect({
      connectionString: viaLink.toString(),
      schema,
      timeoutMs: 500,
      logger,
    });
    const failed = { code: expect.stringMatching(/^PRESENCE_LAST_SEEN_(UNAVAILABLE|TIMEOUT)$/) };
    const works = async (at: number) => {
      await store.record('alice', at);
      return (await store.get(['alice'])).get('alice')?.lastSeen === at;
    };
    const recovers = (at: number) =>
      waitFor(() => works(at), { timeoutMs: 15_000, intervalMs: 100, description: 'recovered' });
    try {
      expect(await works(1)).toBe(true);

      // Cut: idle pooled connections die (reported, not fatal), new ones are refused.
      await link.cut();
      await expect(store.get(['alice'])).rejects.toMatchObject(failed);
      await expect(store.record('alice', 2)).rejects.toMatchObject(failed);
      await link.restore();
      await recovers(3);

      // Stall: the server seems to be there but never answers.
      link.stall();
      await expect(store.get(['alice'])).rejects.toMatchObject(failed);
      await expect(store.setVisibility('alice', 'nobody')).rejects.toMatchObject(failed);
      await link.restore();
      await recovers(4);
      expect((await store.get(['alice'])).get('alice')).toEqual({
        lastSeen: 4,
        visibility: 'friends',
      });
    } finally {
      await store.close();
    }
  });
});
