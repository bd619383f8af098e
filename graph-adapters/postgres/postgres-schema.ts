/**
 * The PostgreSQL schema of the friends graph and its migration (documented in
 * graph-adapters/README.md). One row per edge; an undirected edge is one row in either order.
 * A row trigger announces every insert, update and delete with NOTIFY, so changes made by the
 * app's own SQL reach the service just like changes made through the adapter.
 */
import type { Pool, PoolClient } from 'pg';
import { InvalidOptionError } from '../../src/errors.js';

export const DEFAULT_SCHEMA = 'public';

/** Lower-case SQL identifiers only: the schema name is spliced into DDL and a channel name. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new InvalidOptionError(
      `postgres friends graph: schema ${JSON.stringify(schema)} must be a lower-case identifier (a-z, 0-9, _) of at most 40 characters`,
    );
  }
}

/** The NOTIFY channel of a schema's friendships table. */
export function changesChannel(schema: string): string {
  return `${schema}_friendships_changed`;
}

export function migrationSql(schema: string = DEFAULT_SCHEMA): string {
  assertSchemaName(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};

CREATE TABLE IF NOT EXISTS ${schema}.friendships (
  source     text        NOT NULL,
  target     text        NOT NULL,
  directed   boolean     NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, target, directed)
);

-- (b, a) duplicates (a, b) when undirected; INSERT ... ON CONFLICT DO NOTHING relies on this.
CREATE UNIQUE INDEX IF NOT EXISTS friendships_undirected_pair
  ON ${schema}.friendships (least(source, target), greatest(source, target)) WHERE NOT directed;

-- visibleTo also reads undirected edges from the target side; the primary key serves the rest.
CREATE INDEX IF NOT EXISTS friendships_undirected_target
  ON ${schema}.friendships (target, source) WHERE NOT directed;

CREATE OR REPLACE FUNCTION ${schema}.notify_friendship_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.source <> OLD.target THEN
    PERFORM pg_notify(TG_ARGV[0], json_build_object('kind', 'edge-removed',
      'source', OLD.source, 'target', OLD.target, 'directed', OLD.directed)::text);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.source <> NEW.target THEN
    PERFORM pg_notify(TG_ARGV[0], json_build_object('kind', 'edge-added',
      'source', NEW.source, 'target', NEW.target, 'directed', NEW.directed)::text);
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS friendships_notify ON ${schema}.friendships;
CREATE TRIGGER friendships_notify
  AFTER INSERT OR UPDATE OR DELETE ON ${schema}.friendships
  FOR EACH ROW EXECUTE FUNCTION ${schema}.notify_friendship_change('${changesChannel(schema)}');
`;
}

/** Creates or updates the schema; safe to run again. Runs in one transaction. */
export async function migrateFriendsGraph(
  pool: Pool,
  schema: string = DEFAULT_SCHEMA,
): Promise<void> {
  const sql = migrationSql(schema);
  const client: PoolClient = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two migrations racing on CREATE ... IF NOT EXISTS can still collide; serialise them.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`graph-presence:${schema}`]);
    await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
