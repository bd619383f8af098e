/**
 * The PostgreSQL schema of the last-seen store, as numbered migrations applied in order and
 * recorded in `<schema>.presence_last_seen_migrations`. A node refuses to start on a schema that
 * misses one (run `npm run last-seen:migrate`); a schema migrated by a newer version is accepted.
 *
 * No CHECK constraints on the values: a newer version may store a visibility this one does not
 * know, and readers skip what they do not understand (src/last-seen/stored-values.ts).
 */
import type { Pool, PoolClient } from 'pg';
import { InvalidOptionError } from '../errors.js';

export const DEFAULT_LAST_SEEN_SCHEMA = 'public';

/** Lower-case SQL identifiers only: the schema name is spliced into SQL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

export function assertLastSeenSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidOptionError(
      `postgres last-seen store: schema ${JSON.stringify(schema)} must be a lower-case identifier (a-z, 0-9, _) of at most 40 characters`,
    );
  }
}

export interface LastSeenMigration {
  readonly version: number;
  readonly description: string;
  sql(schema: string): string;
}

export const LAST_SEEN_MIGRATIONS: readonly LastSeenMigration[] = [
  {
    version: 1,
    description: 'presence_last_seen: one row per user',
    sql: (schema) => `
CREATE TABLE IF NOT EXISTS ${schema}.presence_last_seen (
  user_id    text   PRIMARY KEY,
  -- Milliseconds since the epoch; NULL while only a visibility is stored.
  last_seen  bigint,
  -- 'friends' or 'nobody'; NULL means the default, 'friends'.
  visibility text
);`,
  },
  {
    version: 2,
    description: 'presence_last_seen: MACs of last_seen and visibility (with a cluster secret)',
    sql: (schema) => `
ALTER TABLE ${schema}.presence_last_seen
  ADD COLUMN IF NOT EXISTS last_seen_mac text,
  ADD COLUMN IF NOT EXISTS visibility_mac text;`,
  },
];

export const LATEST_LAST_SEEN_VERSION = Math.max(
  ...LAST_SEEN_MIGRATIONS.map((migration) => migration.version),
);

function migrationsTableSql(schema: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.presence_last_seen_migrations (
  version     integer     PRIMARY KEY,
  description text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);`;
}

/** Every migration as one SQL script, for teams that apply migrations with their own tool. */
export function lastSeenMigrationSql(schema: string = DEFAULT_LAST_SEEN_SCHEMA): string {
  assertLastSeenSchemaName(schema);
  const steps = LAST_SEEN_MIGRATIONS.map(
    (migration) => `
-- ${migration.version}: ${migration.description}
${migration.sql(schema).trim()}
INSERT INTO ${schema}.presence_last_seen_migrations (version, description)
  VALUES (${migration.version}, '${migration.description.replaceAll("'", "''")}')
  ON CONFLICT (version) DO NOTHING;`,
  );
  return `BEGIN;${migrationsTableSql(schema)}\n${steps.join('\n')}\nCOMMIT;\n`;
}

/**
 * Applies the migrations the schema lacks, in one transaction; safe to run again and from
 * several processes at once. Returns the versions it applied.
 */
export async function migrateLastSeen(
  pool: Pool,
  schema: string = DEFAULT_LAST_SEEN_SCHEMA,
): Promise<number[]> {
  assertLastSeenSchemaName(schema);
  const client: PoolClient = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two migrations racing on CREATE ... IF NOT EXISTS can still collide; serialise them.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `graph-presence:last-seen:${schema}`,
    ]);
    await client.query(migrationsTableSql(schema));
    const applied = await appliedVersions(client, schema);
    const done: number[] = [];
    for (const migration of LAST_SEEN_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql(schema));
      await client.query(
        `INSERT INTO ${schema}.presence_last_seen_migrations (version, description) VALUES ($1, $2)`,
        [migration.version, migration.description],
      );
      done.push(migration.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export interface LastSeenMigrationStatus {
  /** The highest version applied; 0 when the schema was never migrated. */
  readonly current: number;
  /** Versions this release knows and the schema lacks, in order. */
  readonly pending: readonly number[];
}

export async function lastSeenMigrationStatus(
  pool: Pool,
  schema: string = DEFAULT_LAST_SEEN_SCHEMA,
): Promise<LastSeenMigrationStatus> {
  assertLastSeenSchemaName(schema);
  const exists = await pool.query<{ present: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [`${schema}.presence_last_seen_migrations`],
  );
  const applied = exists.rows[0]?.present ? await appliedVersions(pool, schema) : new Set<number>();
  return {
    current: Math.max(0, ...applied),
    pending: LAST_SEEN_MIGRATIONS.map((migration) => migration.version).filter(
      (version) => !applied.has(version),
    ),
  };
}

async function appliedVersions(
  queryable: Pick<Pool, 'query'>,
  schema: string,
): Promise<Set<number>> {
  const result = await queryable.query<{ version: number }>(
    `SELECT version FROM ${schema}.presence_last_seen_migrations`,
  );
  return new Set(result.rows.map((row) => Number(row.version)));
}
