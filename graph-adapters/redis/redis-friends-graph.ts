/**
 * Friends graph kept in Redis sets (key schema in redis-key-schema.ts). Reads are one SUNION
 * per user (pipelined for many users); writes go through Lua scripts that update both sides and
 * publish the change on a channel every node subscribes to.
 */
import type { Redis } from 'ioredis';
import type { UserId } from '../../src/domain/user-id.js';
import { GraphProviderError, InvalidOptionError } from '../../src/errors.js';
import type {
  FriendsGraph,
  FriendsGraphEditor,
  FriendsGraphErrorListener,
  FriendsGraphListener,
} from '../../src/ports/friends-graph.js';
import { withDeadline } from '../../src/ports/graph-deadline.js';
import { createRedisClient } from '../../src/transports/redis-url.js';
import { ChangeFeed, closedError, warnOnStderr } from '../shared/change-feed.js';
import { parseChangeJson } from '../shared/edge-change-json.js';
import type { EdgeTuple } from '../shared/edge-tuple.js';
import { assertUserId } from '../shared/user-id.js';
import {
  ADD_EDGE_SCRIPT,
  type EdgeScript,
  loadEdgeScripts,
  queueEdgeScript,
  REMOVE_EDGE_SCRIPT,
  runEdgeScript,
} from './redis-edge-scripts.js';
import { createKeySchema, DEFAULT_KEY_PREFIX, type RedisKeySchema } from './redis-key-schema.js';

export interface RedisFriendsGraphOptions {
  /** A connected client to use for reads and writes; never closed by the adapter. */
  client?: Redis;
  /**
   * A connection for the change channel (subscriber mode cannot run other commands); never
   * closed by the adapter. @default a duplicate of `client`, owned and closed by the adapter
   */
  subscriber?: Redis;
  /**
   * Used when no `client` is given, e.g. `redis://127.0.0.1:6379` or
   * `redis-sentinel://host:26379,host2:26379/mymaster` (src/transports/redis-url.ts).
   */
  url?: string;
  /** Namespace for keys and the channel. @default 'graph-presence:' */
  keyPrefix?: string;
  /** Longest wait for one Redis call, in milliseconds. @default 2000 */
  timeoutMs?: number;
  /** Where feed problems are reported. @default a warning on stderr */
  onError?: FriendsGraphErrorListener;
}

export class RedisFriendsGraph implements FriendsGraph, FriendsGraphEditor {
  readonly keys: RedisKeySchema;
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #owned: Redis[];
  readonly #timeoutMs: number;
  readonly #feed: ChangeFeed;
  readonly #onError: FriendsGraphErrorListener;
  readonly #onMessage = (channel: string, message: string) => this.#receive(channel, message);
  readonly #onReady = () => this.#feed.emit({ kind: 'reset' });

  private constructor(options: RedisFriendsGraphOptions) {
    this.keys = createKeySchema(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#onError = options.onError ?? warnOnStderr;
    this.#feed = new ChangeFeed(this.#onError);
    this.#owned = [];
    this.#client = options.client ?? this.#own(createRedisClient(requireUrl(options.url)));
    this.#subscriber = options.subscriber ?? this.#own(this.#client.duplicate());
  }

  /** Connects the change feed before returning, so no change made afterwards is missed. */
  static async connect(options: RedisFriendsGraphOptions): Promise<RedisFriendsGraph> {
    const graph = new RedisFriendsGraph(options);
    try {
      await graph.#call('SUBSCRIBE', graph.#subscriber.subscribe(graph.keys.changesChannel));
    } catch (error) {
      await graph.close();
      throw error;
    }
    graph.#subscriber.on('message', graph.#onMessage);
    // A reconnect re-subscribes, but messages published meanwhile are gone: ask for a re-read.
    graph.#subscriber.on('ready', graph.#onReady);
    return graph;
  }

  async visibleTo(userId: UserId): Promise<readonly UserId[]> {
    this.#checkOpen('visibleTo');
    assertUserId(userId, 'RedisFriendsGraph.visibleTo');
    const members = await this.#call(
      'SUNION',
      this.#client.sunion(this.keys.friendsKey(userId), this.keys.followsKey(userId)),
    );
    return withoutSelf(members, userId);
  }

  /** `visibleTo` for many users in one pipelined round trip, in the order given. */
  async visibleToMany(userIds: readonly UserId[]): Promise<UserId[][]> {
    this.#checkOpen('visibleToMany');
    for (const userId of userIds) assertUserId(userId, 'RedisFriendsGraph.visibleToMany');
    const pipeline = this.#client.pipeline();
    for (const userId of userIds) {
      pipeline.sunion(this.keys.friendsKey(userId), this.keys.followsKey(userId));
    }
    const replies = (await this.#call('pipelined SUNION', pipeline.exec())) ?? [];
    return replies.map(([error, members], index) => {
      if (error) throw this.#toProviderError('SUNION', error);
      return withoutSelf(members as string[], userIds[index]!);
    });
  }

  subscribe(listener: FriendsGraphListener): () => void {
    return this.#feed.subscribe(listener);
  }

  async addEdge(source: UserId, target: UserId, options: { directed?: boolean } = {}) {
    await this.#edit(ADD_EDGE_SCRIPT, 'edge-added', source, target, options.directed === true);
  }

  async removeEdge(source: UserId, target: UserId, options: { directed?: boolean } = {}) {
    await this.#edit(REMOVE_EDGE_SCRIPT, 'edge-removed', source, target, options.directed === true);
  }

  /** Adds many edges in one pipeline; each still publishes its own change. */
  async addEdges(edges: readonly EdgeTuple[]): Promise<void> {
    this.#checkOpen('addEdges');
    await this.#call('SCRIPT LOAD', loadEdgeScripts(this.#client));
    const pipeline = this.#client.pipeline();
    for (const [source, target, directed = false] of edges) {
      const edit = this.#editCommand('edge-added', source, target, directed);
      if (edit) queueEdgeScript(pipeline, ADD_EDGE_SCRIPT, edit.keys, edit.args);
    }
    const replies = (await this.#call('pipelined edge scripts', pipeline.exec())) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed?.[0]) throw this.#toProviderError('addEdges', failed[0]);
  }

  async close(): Promise<void> {
    if (this.#feed.isClosed) return;
    this.#feed.close();
    this.#subscriber.off('message', this.#onMessage);
    this.#subscriber.off('ready', this.#onReady);
    if (!this.#owned.includes(this.#subscriber) && this.#subscriber.status === 'ready') {
      await this.#subscriber.unsubscribe(this.keys.changesChannel).catch(() => {});
    }
    await Promise.all(this.#owned.map((client) => this.#closeOwned(client)));
  }

  async #edit(
    script: EdgeScript,
    kind: 'edge-added' | 'edge-removed',
    source: UserId,
    target: UserId,
    directed: boolean,
  ): Promise<void> {
    this.#checkOpen(kind === 'edge-added' ? 'addEdge' : 'removeEdge');
    const edit = this.#editCommand(kind, source, target, directed);
    if (edit) await this.#call(kind, runEdgeScript(this.#client, script, edit.keys, edit.args));
  }

  /** Keys and arguments of one edge script, or null for a self-loop (never stored). */
  #editCommand(kind: string, source: UserId, target: UserId, directed: boolean) {
    assertUserId(source, 'RedisFriendsGraph edge source');
    assertUserId(target, 'RedisFriendsGraph edge target');
    if (source === target) return null;
    const keys = directed
      ? [this.keys.followsKey(source)]
      : [this.keys.friendsKey(source), this.keys.friendsKey(target)];
    const payload = JSON.stringify({ kind, source, target, directed });
    return { keys, args: [source, target, this.keys.changesChannel, payload] };
  }

  #receive(channel: string, message: string): void {
    if (channel !== this.keys.changesChannel) return;
    const parsed = parseChangeJson(message);
    if (parsed.ok) this.#feed.emit(parsed.change);
    else {
      this.#onError(
        new GraphProviderError(
          'PRESENCE_GRAPH_INVALID_DATA',
          `RedisFriendsGraph: dropped a message on ${channel}: ${parsed.reason}`,
        ),
      );
    }
  }

  async #call<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await withDeadline(work, this.#timeoutMs, `Redis ${what}`);
    } catch (error) {
      throw this.#toProviderError(what, error);
    }
  }

  #toProviderError(what: string, error: unknown): GraphProviderError {
    if (error instanceof GraphProviderError) return error;
    const message = (error as Error).message ?? String(error);
    const code = message.startsWith('WRONGTYPE')
      ? 'PRESENCE_GRAPH_INVALID_DATA'
      : 'PRESENCE_GRAPH_UNAVAILABLE';
    return new GraphProviderError(code, `RedisFriendsGraph: ${what} failed: ${message}`, {
      cause: error,
    });
  }

  #checkOpen(method: string): void {
    if (this.#feed.isClosed) throw closedError(method);
  }

  /** QUIT flushes pending replies, but waits forever on a server that does not answer. */
  async #closeOwned(client: Redis): Promise<void> {
    if (client.status !== 'ready') return client.disconnect();
    await withDeadline(client.quit(), this.#timeoutMs, 'Redis QUIT').catch(() =>
      client.disconnect(),
    );
  }

  #own(client: Redis): Redis {
    // An 'error' listener keeps ioredis from logging unhandled errors; the cause goes to onError.
    client.on('error', (error: Error) =>
      this.#onError(
        new GraphProviderError(
          'PRESENCE_GRAPH_UNAVAILABLE',
          `RedisFriendsGraph: ${error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    this.#owned.push(client);
    return client;
  }
}

function withoutSelf(members: string[], userId: UserId): UserId[] {
  const self = members.indexOf(userId);
  if (self !== -1) members.splice(self, 1);
  return members;
}

function requireUrl(url: string | undefined): string {
  if (url) return url;
  throw new InvalidOptionError(
    'RedisFriendsGraph: pass a connected `client` or a `url` such as redis://127.0.0.1:6379',
  );
}
