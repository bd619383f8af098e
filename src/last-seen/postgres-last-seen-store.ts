/**
 * Last seen in PostgreSQL: one row per user in `<schema>.presence_last_seen` (migrations in
 * postgres-last-seen-schema.ts), with a cluster secret each value with its MAC (last-seen-seal.ts). `record` is one upsert keeping the greater time; `get` is
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
import type { ClusterSecretOptions } from '../transports/cluster-secret.js';
import { LastSeenClock, type LastSeenClockOptions } from './last-seen-clock.js';
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
import { LastSeenSeal } from './last-seen-seal.js';
import {
  assertLastSeenSchemaName,
  DEFAULT_LAST_SEEN_SCHEMA,
  lastSeenMigrationStatus,
} from './postgres-last-seen-schema.js';
import { StoredRecordReader } from './stored-values.js';

const NAME = 'PostgresLastSeenStore';
const QUERY_CANCELED = '57014';

export interface PostgresLastSeenStoreOptions extends ClusterSecretOptions, LastSeenClockOptions {
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
  readonly last_seen_mac: string | null;
  readonly visibility: string | null;
  readonly visibility_mac: string | null;
}

export class PostgresLastSeenStore implements LastSeenStore {
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #seal: LastSeenSeal | undefined;
  readonly #clock: LastSeenClock;
  readonly #reader: StoredRecordReader;
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
    this.#seal = LastSeenSeal.from(options, NAME);
    this.#clock = new LastSeenClock(options, NAME);
    this.#reader = new StoredRecordReader(this.#seal, this.#clock, this.#logger, NAME);
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
    const ceiling = this.#clock.ceiling();
    const value = Math.min(at, ceiling);
    const mac = this.#seal?.sign(user, 'at', String(value)) ?? null;
    await this.#query('record', this.#sql.record, [user, value, mac, ceiling]);
  }

  /** Stored values refused for a missing or wrong MAC (with a cluster secret), since start. */
  get refusedValues(): number {
    return this.#reader.refused;
  }

  async setVisibility(user: UserId, visibility: LastSeenVisibility): Promise<void> {
    this.#checkOpen('setVisibility');
    assertLastSeenUser(user, `${NAME}.setVisibility`);
    assertLastSeenVisibility(visibility, `${NAME}.setVisibility`);
    const mac = this.#seal?.sign(user, 'visibility', visibility) ?? null;
    await this.#query('setVisibility', this.#sql.setVisibility, [user, visibility, mac]);
  }

  async get(users: readonly UserId[]): Promise<ReadonlyMap<UserId, LastSeenRecord>> {
    this.#checkOpen('get');
    const unique = checkLastSeenBatch(users, `${NAME}.get`);
    const found = new Map<UserId, LastSeenRecord>();
    if (unique.length === 0) return found;
    const result = await this.#query<Row>('get', this.#sql.get, [unique]);
    for (const row of result.rows) {
      const record = this.#reader.read(String(row.user_id), {
        at: row.last_seen,
        atMac: row.last_seen_mac,
        visibility: row.visibility,
        visibilityMac: row.visibility_mac,
      });
      if (record !== undefined) found.set(row.user_id, record);
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
    // GREATEST(stored, given), written only when it changes. $3 is the MAC (NULL without a
    // cluster secret), $4 the ceiling (now plus the clock skew). A stored value `get` would skip
    // (negative), one beyond the ceiling, and with a secret one without a MAC count as none, so
    // the next record replaces them. As in Redis (redis-last-seen-store.ts), the comparison
    // cannot check a MAC: a forged time within the ceiling reads as not stored until a later
    // record passes it.
    record: `INSERT INTO ${table} AS stored (user_id, last_seen, last_seen_mac) VALUES ($1, $2, $3)
      ON CONFLICT (user_id) DO UPDATE
      SET last_seen = EXCLUDED.last_seen, last_seen_mac = EXCLUDED.last_seen_mac
      WHERE stored.last_seen IS NULL OR stored.last_seen < EXCLUDED.last_seen
        OR stored.last_seen NOT BETWEEN 0 AND $4::bigint
        OR ($3::text IS NOT NULL AND stored.last_seen_mac IS NULL)`,
    setVisibility: `INSERT INTO ${table} AS stored (user_id, visibility, visibility_mac)
      VALUES ($1, $2, $3)
      ON CONFLICT (user_id) DO UPDATE
      SET visibility = EXCLUDED.visibility, visibility_mac = EXCLUDED.visibility_mac`,
    get: `SELECT user_id, last_seen::text AS last_seen, last_seen_mac, visibility, visibility_mac
      FROM ${table} WHERE user_id = ANY($1::text[])`,
  };
}
