/**
 * Last seen in PostgreSQL: one row per user in `<schema>.presence_last_seen` (migrations in
 * postgres-last-seen-schema.ts). `record` is one upsert keeping the greater time; `get` is
 * one `= ANY($1)` query. Every query is bounded (statement timeout on the server, query timeout
 * and a deadline here), so an outage rejects within `timeoutMs` instead of hanging.
 */
import pg from 'pg';
import { positiveOption } from '../domain/positive-option.js';
import type { UserId } from '../domain/user-id.js';
import { InvalidOptionError, LastSeenStoreError } from '../errors.js';
import type {
  LastSeenRecord,
  LastSeenStore,
  LastSeenVisibility,
} from '../ports/last-seen-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import {
  closedStoreError,
  DEFAULT_LAST_SEEN_TIMEOUT_MS,
  withLastSeenDeadline,
} from './last-seen-deadline.js';
import {
  assertLastSeenAt,
  assertLastSeenUser,
  assertLastSeenVisibility,
  checkLastSeenBatch,
} from './last-seen-input.js';
import {
  assertLastSeenSchemaName,
  DEFAULT_LAST_SEEN_SCHEMA,
  lastSeenMigrationStatus,
} from './postgres-last-seen-schema.js';
import { BadRowLog, toStoredRecord } from './stored-values.js';

const NAME = 'PostgresLastSeenStore';
const QUERY_CANCELED = '57014';

export interface PostgresLastSeenStoreOptions {
  /** A pool to query through; never ended by the store. */
  readonly pool?: pg.Pool;
  /** Used when no `pool` is given, e.g. `postgres://user@127.0.0.1:5432/app`. */
  readonly connectionString?: string;
  /** The schema holding the table. @default 'public' */
  readonly schema?: string;
  /** Longest wait for one query (connecting included), in milliseconds. @default 2000 */
  readonly timeoutMs?: number;
  /** Size of the pool the store creates (ignored with `pool`). @default 10 */
  readonly maxConnections?: number;
  /** Where skipped bad rows and idle-connection errors are reported. @default silent */
  readonly logger?: Logger;
}

interface Row {
  readonly user_id: string;
  readonly last_seen: string | null;
  readonly visibility: string | null;
}

export class PostgresLastSeenStore implements LastSeenStore {
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #badRows: BadRowLog;
  readonly #sql: ReturnType<typeof statements>;
  #closed = false;

  private constructor(options: PostgresLastSeenStoreOptions) {
    this.schema = options.schema ?? DEFAULT_LAST_SEEN_SCHEMA;
    assertLastSeenSchemaName(this.schema);
    this.#timeoutMs = positiveOption(
      `${NAME}: timeoutMs`,
      options.timeoutMs ?? DEFAULT_LAST_SEEN_TIMEOUT_MS,
    );
    this.#logger = options.logger ?? silentLogger;
    this.#badRows = new BadRowLog(this.#logger, NAME);
    this.#sql = statements(this.schema);
    this.#ownsPool = options.pool === undefined;
    this.#pool = options.pool ?? this.#createPool(options);
  }

  /**
   * Checks that PostgreSQL answers and that the schema has every migration before returning;
   * rejects with `PRESENCE_LAST_SEEN_UNAVAILABLE` naming `npm run last-seen:migrate` otherwise.
   */
  static async connect(options: PostgresLastSeenStoreOptions): Promise<PostgresLastSeenStore> {
    const store = new PostgresLastSeenStore(options);
    try {
      await store.#run('SELECT 1', store.#pool.query('SELECT 1'));
      const status = await store.#run(
        'migration status',
        lastSeenMigrationStatus(store.#pool, store.schema),
      );
      if (status.pending.length > 0) {
        throw new LastSeenStoreError(
          'PRESENCE_LAST_SEEN_UNAVAILABLE',
          `${NAME}: schema "${store.schema}" lacks migration ${status.pending.join(', ')} (it is at version ${status.current}); run npm run last-seen:migrate -- <connection string> --schema ${store.schema}`,
        );
      }
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async record(user: UserId, at: number): Promise<void> {
    this.#checkOpen('record');
    assertLastSeenUser(user, `${NAME}.record`);
    assertLastSeenAt(at, `${NAME}.record`);
    await this.#query('record', this.#sql.record, [user, at]);
  }

  async setVisibility(user: UserId, visibility: LastSeenVisibility): Promise<void> {
    this.#checkOpen('setVisibility');
    assertLastSeenUser(user, `${NAME}.setVisibility`);
    assertLastSeenVisibility(visibility, `${NAME}.setVisibility`);
    await this.#query('setVisibility', this.#sql.setVisibility, [user, visibility]);
  }

  async get(users: readonly UserId[]): Promise<ReadonlyMap<UserId, LastSeenRecord>> {
    this.#checkOpen('get');
    const unique = checkLastSeenBatch(users, `${NAME}.get`);
    const found = new Map<UserId, LastSeenRecord>();
    if (unique.length === 0) return found;
    const result = await this.#query<Row>('get', this.#sql.get, [unique]);
    for (const row of result.rows) {
      const stored = toStoredRecord(row.last_seen, row.visibility);
      if (stored.ok) found.set(row.user_id, stored.record);
      else this.#badRows.skipped(String(row.user_id), stored.reason);
    }
    return found;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end().catch(() => {});
  }

  #createPool(options: PostgresLastSeenStoreOptions): pg.Pool {
    if (typeof options.connectionString !== 'string' || options.connectionString === '') {
      throw new InvalidOptionError(
        `${NAME}: give a pool or a connectionString such as postgres://user@127.0.0.1:5432/app`,
      );
    }
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: positiveOption(`${NAME}: maxConnections`, options.maxConnections ?? 10),
      connectionTimeoutMillis: this.#timeoutMs,
      statement_timeout: this.#timeoutMs,
      query_timeout: this.#timeoutMs,
    });
    // An idle connection dropped by the server emits 'error' on the pool; unheard, it would
    // crash the process. The next query opens a new connection.
    pool.on('error', (error) =>
      this.#logger.warn({ err: error, store: NAME }, `${NAME}: an idle connection failed`),
    );
    return pool;
  }

  async #query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.#run(what, this.#pool.query<R>(text, values));
  }

  async #run<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await withLastSeenDeadline(work, this.#timeoutMs, `${NAME}: PostgreSQL ${what}`);
    } catch (error) {
      if (error instanceof LastSeenStoreError) throw error;
      const message = (error as Error)?.message ?? String(error);
      const sqlState = (error as { code?: unknown })?.code;
      const code =
        sqlState === QUERY_CANCELED || /timeout/i.test(message)
          ? 'PRESENCE_LAST_SEEN_TIMEOUT'
          : 'PRESENCE_LAST_SEEN_UNAVAILABLE';
      throw new LastSeenStoreError(code, `${NAME}: PostgreSQL ${what} failed: ${message}`, {
        cause: error,
      });
    }
  }

  #checkOpen(method: string): void {
    if (this.#closed) throw closedStoreError(NAME, method);
  }
}

function statements(schema: string) {
  const table = `${schema}.presence_last_seen`;
  return {
    // GREATEST(stored, given), written only when it changes; a stored value `get` would skip
    // (outside 0 … 2^53 - 1) counts as none, so the next record repairs it.
    record: `INSERT INTO ${table} AS stored (user_id, last_seen) VALUES ($1, $2)
      ON CONFLICT (user_id) DO UPDATE SET last_seen = EXCLUDED.last_seen
      WHERE stored.last_seen IS NULL OR stored.last_seen < EXCLUDED.last_seen
        OR stored.last_seen NOT BETWEEN 0 AND ${Number.MAX_SAFE_INTEGER}`,
    setVisibility: `INSERT INTO ${table} AS stored (user_id, visibility) VALUES ($1, $2)
      ON CONFLICT (user_id) DO UPDATE SET visibility = EXCLUDED.visibility`,
    get: `SELECT user_id, last_seen::text AS last_seen, visibility FROM ${table}
      WHERE user_id = ANY($1::text[])`,
  };
}
