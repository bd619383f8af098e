/**
 * The migration command:
 *   npx tsx graph-adapters/postgres/migrate.ts <connection string> [--schema <name>]
 * (or `node dist/graph-adapters/postgres/migrate.js ...` after a build). `--print` writes the
 * SQL to stdout instead, for teams that apply migrations with their own tool.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_SCHEMA, migrateFriendsGraph, migrationSql } from './postgres-schema.js';

const USAGE =
  'usage: npm run graph:migrate -- <postgres connection string> [--schema <name>] [--print]\n';

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      schema: { type: 'string', default: DEFAULT_SCHEMA },
      print: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    process.stderr.write(`graph:migrate: ${(error as Error).message.split('.')[0]}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const schema = values.schema ?? DEFAULT_SCHEMA;
  if (values.print) {
    process.stdout.write(migrationSql(schema));
    return 0;
  }
  const connectionString = positionals[0] ?? process.env['DATABASE_URL'];
  if (!connectionString) {
    process.stderr.write(USAGE);
    return 2;
  }
  const pool = new pg.Pool({ connectionString, max: 1 });
  try {
    await migrateFriendsGraph(pool, schema);
    process.stdout.write(`friends graph schema "${schema}" is up to date\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`migration failed: ${(error as Error).message}\n`);
    return 2;
  } finally {
    await pool.end();
  }
}

process.exitCode = await main();
