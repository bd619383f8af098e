/**
 * Friends graph kept in a PostgreSQL `friendships` table (schema in postgres-schema.ts). Reads
 * are one indexed query through a connection pool; the change feed is LISTEN/NOTIFY fed by a
 * row trigger, so edits made by the app's own SQL are reported too.
 */
import pg from 'pg';
import type { UserId } from '../../src/domain/user-id.js';
import { GraphProviderError, InvalidOptionError } from '../../src/errors.js';
import type {
  FriendsGraph,
  FriendsGraphEditor,
  FriendsGraphErrorListener,
  FriendsGraphListener,
} from '../../src/ports/friends-graph.js';
import { withDeadline } from '../../src/ports/graph-deadline.js';
import { ChangeFeed, closedError, warnOnStderr } from '../shared/change-feed.js';
import { parseChangeJson } from '../shared/edge-change-json.js';
import type { EdgeTuple } from '../shared/edge-tuple.js';
import { assertUserId } from '../shared/user-id.js';
import { NotificationListener } from './notification-listener.js';
import { toGraphProviderError } from './postgres-errors.js';
import { assertSchemaName, changesChannel, DEFAULT_SCHEMA } from './postgres-schema.js';

export interface PostgresFriendsGraphOptions {
  /** A pool to query through; never ended by the adapter. One of its clients stays in LISTEN. */
  pool?: pg.Pool;
  /** Used when no `pool` is given, e.g. `postgres://user@127.0.0.1:5432/app`. */
  connectionString?: string;
  /** The schema holding the friendships table. @default 'public' */
  schema?: string;
  /** Longest wait for one query, in milliseconds. @default 2000 */
  timeoutMs?: number;
  /** Size of the pool the adapter creates (ignored with `pool`). @default 10 */
  maxConnections?: number;
  /** Where feed problems are reported. @default a warning on stderr */
  onError?: FriendsGraphErrorListener;
}

export class PostgresFriendsGraph implements FriendsGraph, FriendsGraphEditor {
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #timeoutMs: number;
  readonly #feed: ChangeFeed;
  readonly #onError: FriendsGraphErrorListener;
  readonly #listener: NotificationListener;
  readonly #sql: ReturnType<typeof statements>;

  private constructor(options: PostgresFriendsGraphOptions) {
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    assertSchemaName(this.schema);
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#onError = options.onError ?? warnOnStderr;
    this.#feed = new ChangeFeed(this.#onError);
    this.#sql = statements(this.schema);
    this.#ownsPool = !options.pool;
    this.#pool = options.pool ?? this.#createPool(options);
    this.#listener = new NotificationListener(this.#pool, changesChannel(this.schema), {
      onNotification: (payload) => this.#receive(payload),
      onGap: () => this.#feed.emit({ kind: 'reset' }),
      onError: (error) => this.#onError(toGraphProviderError('LISTEN connection', error)),
    });
  }

  /** Starts listening before returning, so no change committed afterwards is missed. */
  static async connect(options: PostgresFriendsGraphOptions): Promise<PostgresFriendsGraph> {
    const graph = new PostgresFriendsGraph(options);
    try {
      await withDeadline(graph.#listener.start(), graph.#timeoutMs, 'PostgreSQL LISTEN');
    } catch (error) {
      await graph.close();
      throw toGraphProviderError('LISTEN', error);
    }
    return graph;
  }

  async visibleTo(userId: UserId): Promise<readonly UserId[]> {
    this.#checkOpen('visibleTo');
    assertUserId(userId, 'PostgresFriendsGraph.visibleTo');
    const result = await this.#query<{ id: string }>('visibleTo', this.#sql.visibleTo, [userId]);
    return result.rows.map((row) => row.id);
  }

  subscribe(listener: FriendsGraphListener): () => void {
    return this.#feed.subscribe(listener);
  }

  async addEdge(source: UserId, target: UserId, options: { directed?: boolean } = {}) {
    await this.addEdges([[source, target, options.directed]]);
  }

  /** Inserts many edges in one statement; the trigger still reports each new edge. */
  async addEdges(edges: readonly EdgeTuple[]): Promise<void> {
    this.#checkOpen('addEdges');
    const sources: string[] = [];
    const targets: string[] = [];
    const directions: boolean[] = [];
    for (const [source, target, directed = false] of edges) {
      assertUserId(source, 'PostgresFriendsGraph edge source');
      assertUserId(target, 'PostgresFriendsGraph edge target');
      if (source === target) continue;
      sources.push(source);
      targets.push(target);
      directions.push(directed);
    }
    if (sources.length === 0) return;
    await this.#query('addEdges', this.#sql.addEdges, [sources, targets, directions]);
  }

  async removeEdge(source: UserId, target: UserId, options: { directed?: boolean } = {}) {
    this.#checkOpen('removeEdge');
    assertUserId(source, 'PostgresFriendsGraph.removeEdge');
    assertUserId(target, 'PostgresFriendsGraph.removeEdge');
    await this.#query('removeEdge', this.#sql.removeEdge, [
      source,
      target,
      options.directed === true,
    ]);
  }

  async close(): Promise<void> {
    if (this.#feed.isClosed) return;
    this.#feed.close();
    await this.#listener.close();
    if (this.#ownsPool) await this.#pool.end();
  }

  async #query<Row extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    try {
      return await withDeadline(
        this.#pool.query<Row>(text, values),
        this.#timeoutMs,
        `PostgreSQL ${what}`,
      );
    } catch (error) {
      throw toGraphProviderError(what, error);
    }
  }

  #receive(payload: string): void {
    if (this.#feed.isClosed) return;
    const parsed = parseChangeJson(payload);
    if (parsed.ok) this.#feed.emit(parsed.change);
    else {
      this.#onError(
        new GraphProviderError(
          'PRESENCE_GRAPH_INVALID_DATA',
          `PostgresFriendsGraph: dropped a notification: ${parsed.reason}`,
        ),
      );
    }
  }

  #checkOpen(method: string): void {
    if (this.#feed.isClosed) throw closedError(method);
  }

  #createPool(options: PostgresFriendsGraphOptions): pg.Pool {
    if (!options.connectionString) {
      throw new InvalidOptionError(
        'PostgresFriendsGraph: pass a `pool` or a `connectionString` such as postgres://user@127.0.0.1:5432/app',
      );
    }
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: this.#timeoutMs,
      // The server cancels a query we stopped waiting for instead of letting it run on.
      statement_timeout: this.#timeoutMs,
    });
    // An idle client that loses its connection emits here; without a listener Node would crash.
    pool.on('error', (error) => this.#onError(toGraphProviderError('idle connection', error)));
    return pool;
  }
}

function statements(schema: string) {
  const table = `${schema}.friendships`;
  return {
    // UNION (not UNION ALL): a user reachable by both a directed and an undirected edge once.
    visibleTo: `
      SELECT target AS id FROM ${table} WHERE source = $1 AND target <> $1
      UNION
      SELECT source FROM ${table} WHERE target = $1 AND NOT directed AND source <> $1`,
    addEdges: `
      INSERT INTO ${table} (source, target, directed)
      SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[])
      ON CONFLICT DO NOTHING`,
    removeEdge: `
      DELETE FROM ${table}
      WHERE directed = $3
        AND ((source = $1 AND target = $2) OR (NOT $3 AND source = $2 AND target = $1))`,
  };
}
