/**
 * The last-seen store's migration command:
 *   npm run last-seen:migrate -- <connection string> [--schema <name>] [--print] [--status]
 * (or `node dist/src/last-seen/migrate.js ...` after a build). `--print` writes the SQL to stdout
 * for teams that apply migrations with their own tool; `--status` reports without changing.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  DEFAULT_LAST_SEEN_SCHEMA,
  LATEST_LAST_SEEN_VERSION,
  lastSeenMigrationSql,
  lastSeenMigrationStatus,
  migrateLastSeen,
} from './postgres-last-seen-schema.js';

const USAGE =
  'usage: npm run last-seen:migrate -- <postgres connection string> [--schema <name>] [--print] [--status]\n';

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      schema: { type: 'string', default: DEFAULT_LAST_SEEN_SCHEMA },
      print: { type: 'boolean' },
      status: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    process.stderr.write(`last-seen:migrate: ${(error as Error).message.split('.')[0]}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const schema = values.schema ?? DEFAULT_LAST_SEEN_SCHEMA;
  try {
    if (values.print) {
      process.stdout.write(lastSeenMigrationSql(schema));
      return 0;
    }
  } catch (error) {
    process.stderr.write(`last-seen:migrate: ${(error as Error).message}\n`);
    return 2;
  }
  const connectionString = positionals[0] ?? process.env['DATABASE_URL'];
  if (!connectionString) {
    process.stderr.write(USAGE);
    return 2;
  }
  const pool = new pg.Pool({ connectionString, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  try {
    if (values.status) {
      const status = await lastSeenMigrationStatus(pool, schema);
      process.stdout.write(
        `last-seen schema "${schema}": version ${status.current} of ${LATEST_LAST_SEEN_VERSION}${status.pending.length > 0 ? `, pending ${status.pending.join(', ')}` : ', up to date'}\n`,
      );
      return 0;
    }
    const applied = await migrateLastSeen(pool, schema);
    process.stdout.write(
      `last-seen schema "${schema}" is up to date (version ${LATEST_LAST_SEEN_VERSION}${applied.length > 0 ? `; applied ${applied.join(', ')}` : ''})\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`last-seen:migrate: migration failed: ${(error as Error).message}\n`);
    return 2;
  } finally {
    await pool.end();
  }
}

process.exitCode = await main();
