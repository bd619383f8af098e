/**
 * The PostgreSQL adapter against the real server on 127.0.0.1:5432 (database `test`), each
 * fixture in its own schema, dropped afterwards.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changesChannel,
  migrateFriendsGraph,
  PostgresFriendsGraph,
} from '../../graph-adapters/postgres/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { hasEdgeChange, recordChanges } from '../contracts/change-recorder.js';
import { describeFriendsGraphContract } from '../contracts/friends-graph.contract.js';

const DATABASE_URL = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const newSchema = () => `gp_test_${randomBytes(6).toString('hex')}`;

async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

describeFriendsGraphContract('postgres', async () => {
  const schema = newSchema();
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  await migrateFriendsGraph(pool, schema);
  const opened: FriendsGraph[] = [];
  const writer = await PostgresFriendsGraph.connect({ connectionString: DATABASE_URL, schema });
  return {
    async open() {
      // The first adapter shares an injected pool; later ones create their own.
      const options = opened.length === 0 ? { pool } : { connectionString: DATABASE_URL };
      const adapter = await PostgresFriendsGraph.connect({ ...options, schema });
      opened.push(adapter);
      return adapter;
    },
    addEdge: (source, target, directed) => writer.addEdge(source, target, { directed }),
    removeEdge: (source, target, directed) => writer.removeEdge(source, target, { directed }),
    addEdges: (edges) => writer.addEdges(edges),
    async cleanup() {
      await Promise.all([...opened, writer].map((adapter) => adapter.close()));
      await dropSchema(pool, schema);
      await pool.end();
    },
  };
});

describe('postgres adapter', () => {
  const schema = newSchema();
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
    await migrateFriendsGraph(pool, schema);
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('reports edits made with plain SQL by the app, through the trigger', async () => {
    const graph = await PostgresFriendsGraph.connect({ pool, schema });
    const recorder = recordChanges(graph);
    await pool.query(
      `INSERT INTO ${schema}.friendships (source, target) VALUES ('sql-a', 'sql-b')`,
    );
    await pool.query(
      `UPDATE ${schema}.friendships SET target = 'sql-c' WHERE source = 'sql-a' AND target = 'sql-b'`,
    );
    await pool.query(`DELETE FROM ${schema}.friendships WHERE source = 'sql-a'`);
    await recorder.waitFor((changes) => hasEdgeChange(changes, 'edge-removed', 'sql-a', 'sql-c'));
    expect(recorder.changes.map((change) => change.kind)).toEqual([
      'edge-added',
      'edge-removed',
      'edge-added',
      'edge-removed',
    ]);
    await graph.close();
  });

  it('runs the migration again without harm', async () => {
    await migrateFriendsGraph(pool, schema);
    const graph = await PostgresFriendsGraph.connect({ pool, schema });
    await graph.addEdge('again-a', 'again-b');
    expect(await graph.visibleTo('again-b')).toEqual(['again-a']);
    await graph.close();
  });

  it('offers the migration as a command', async () => {
    const commandSchema = newSchema();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'graph-adapters/postgres/migrate.ts',
        DATABASE_URL,
        '--schema',
        commandSchema,
      ],
      { cwd: process.cwd() },
    );
    expect(stdout).toContain(commandSchema);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
      [commandSchema],
    );
    expect(rows[0].n).toBe(1);
    await dropSchema(pool, commandSchema);
  });

  it('drops a malformed notification with PRESENCE_GRAPH_INVALID_DATA and keeps listening', async () => {
    const errors: Error[] = [];
    const graph = await PostgresFriendsGraph.connect({
      pool,
      schema,
      onError: (error) => errors.push(error),
    });
    const recorder = recordChanges(graph);
    await pool.query('SELECT pg_notify($1, $2)', [
      changesChannel(schema),
      '{"kind": "edge-added"}',
    ]);
    await graph.addEdge('after-bad', 'notification');
    await recorder.waitFor((changes) => changes.length === 1);
    expect(errors.map((error) => (error as { code?: string }).code)).toEqual([
      'PRESENCE_GRAPH_INVALID_DATA',
    ]);
    await graph.close();
  });

  it('reports a missing table as PRESENCE_GRAPH_UNAVAILABLE naming the migration', async () => {
    const graph = await PostgresFriendsGraph.connect({ pool, schema: 'gp_never_migrated' });
    await expect(graph.visibleTo('anyone')).rejects.toMatchObject({
      name: 'GraphProviderError',
      code: 'PRESENCE_GRAPH_UNAVAILABLE',
      message: expect.stringContaining('migrate'),
    });
    await graph.close();
  });

  it('fails to connect to a closed port with a typed error', async () => {
    await expect(
      PostgresFriendsGraph.connect({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        schema,
      }),
    ).rejects.toMatchObject({ code: 'PRESENCE_GRAPH_UNAVAILABLE' });
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(
      PostgresFriendsGraph.connect({ pool, schema: 'x; DROP TABLE users' }),
    ).rejects.toMatchObject({ code: 'PRESENCE_INVALID_OPTION' });
  });

  it('re-listens after its connection is killed and reports a reset', async () => {
    const graph = await PostgresFriendsGraph.connect({
      connectionString: DATABASE_URL,
      schema,
      onError: () => {},
    });
    const recorder = recordChanges(graph);
    await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE query LIKE 'LISTEN "${changesChannel(schema)}"' AND pid <> pg_backend_pid()`,
    );
    await recorder.waitFor((changes) => changes.some((change) => change.kind === 'reset'));
    await graph.addEdge('after-reset', 'still-heard');
    await recorder.waitFor((changes) =>
      hasEdgeChange(changes, 'edge-added', 'after-reset', 'still-heard'),
    );
    await graph.close();
  });
});
