/**
 * The default friends graph: a graphology graph in this process's memory. Reads are synchronous
 * index lookups; the change feed comes from the graph's own mutation events, so changes made on
 * the Graph instance directly are reported too. In a cluster each node holds a copy and an
 * optional change relay carries local changes to the other nodes.
 */

import type { UserId } from '../../src/domain/user-id.js';
import { GraphProviderError, InvalidInputError } from '../../src/errors.js';
import type {
  EdgeChange,
  FriendsGraph,
  FriendsGraphChangeRelay,
  FriendsGraphEditor,
  FriendsGraphErrorListener,
  FriendsGraphListener,
} from '../../src/ports/friends-graph.js';
import { ChangeFeed, closedError, warnOnStderr } from '../shared/change-feed.js';
import { assertUserId } from '../shared/user-id.js';
import {
  createFriendsGraphStore,
  dropFriendEdge,
  type Graph,
  mergeFriendEdge,
} from './friends-graph-store.js';
import { fromNodeKey, toNodeKey } from './node-key.js';

export interface GraphologyFriendsGraphOptions {
  /**
   * The graph to read, kept live: later mutations are reported. Node keys are user ids (ids
   * equal to `__proto__` must go through the adapter's `addEdge`, see node-key.ts).
   * @default an empty mixed graph
   */
  graph?: Graph;
  /** Carries changes between cluster nodes. @default none: single node */
  relay?: FriendsGraphChangeRelay;
  /** Where feed problems are reported. @default a warning on stderr */
  onError?: FriendsGraphErrorListener;
}

interface EdgeEventPayload {
  source: string;
  target: string;
  undirected: boolean;
}

export class GraphologyFriendsGraph implements FriendsGraph, FriendsGraphEditor {
  readonly graph: Graph;
  readonly #feed: ChangeFeed;
  readonly #onError: FriendsGraphErrorListener;
  readonly #relay: FriendsGraphChangeRelay | undefined;
  readonly #stopRelay: () => void;
  readonly #detach: () => void;
  /** Set while applying a change from another node, so it is not published back out. */
  #applyingRemote = false;

  constructor(options: GraphologyFriendsGraphOptions = {}) {
    this.graph = options.graph ?? createFriendsGraphStore();
    this.#onError = options.onError ?? warnOnStderr;
    this.#feed = new ChangeFeed(this.#onError);
    this.#relay = options.relay;
    this.#detach = this.#listenToGraph();
    this.#stopRelay = this.#relay?.subscribe((change) => this.#applyRemote(change)) ?? (() => {});
  }

  async visibleTo(userId: UserId): Promise<readonly UserId[]> {
    return this.visibleToNow(userId);
  }

  /** The synchronous form of `visibleTo`, for callers on the hot path that know the adapter. */
  visibleToNow(userId: UserId): UserId[] {
    if (this.#feed.isClosed) throw closedError('visibleTo');
    assertUserId(userId, 'GraphologyFriendsGraph.visibleTo');
    const key = toNodeKey(userId);
    const graph = this.graph;
    if (!graph.hasNode(key)) return [];
    const out = graph.type === 'undirected' ? [] : graph.outNeighbors(key);
    const mutual = graph.type === 'directed' ? [] : graph.undirectedNeighbors(key);
    // Only a node with both kinds of edge can list someone twice.
    const keys =
      out.length === 0 ? mutual : mutual.length === 0 ? out : [...new Set([...out, ...mutual])];
    const visible: UserId[] = [];
    for (const neighbour of keys) if (neighbour !== key) visible.push(fromNodeKey(neighbour));
    return visible;
  }

  subscribe(listener: FriendsGraphListener): () => void {
    return this.#feed.subscribe(listener);
  }

  async addEdge(source: UserId, target: UserId, options: { directed?: boolean } = {}) {
    this.#checkEdit('addEdge', source, target);
    const directed = options.directed === true;
    if (directed && this.graph.type === 'undirected') {
      throw new InvalidInputError(
        'GraphologyFriendsGraph.addEdge: this graph is undirected; pass a mixed graph to add directed edges',
      );
    }
    mergeFriendEdge(this.graph, source, target, directed);
  }

  async removeEdge(source: UserId, target: UserId, options: { directed?: boolean } = {}) {
    this.#checkEdit('removeEdge', source, target);
    dropFriendEdge(this.graph, source, target, options.directed === true);
  }

  async close(): Promise<void> {
    if (this.#feed.isClosed) return;
    this.#feed.close();
    this.#detach();
    this.#stopRelay();
  }

  #checkEdit(method: string, source: unknown, target: unknown): void {
    if (this.#feed.isClosed) throw closedError(method);
    assertUserId(source, `GraphologyFriendsGraph.${method}`);
    assertUserId(target, `GraphologyFriendsGraph.${method}`);
  }

  #listenToGraph(): () => void {
    const onAdded = (edge: EdgeEventPayload) => this.#onEdgeEvent('edge-added', edge);
    const onDropped = (edge: EdgeEventPayload) => this.#onEdgeEvent('edge-removed', edge);
    const onReset = () => this.#feed.emit({ kind: 'reset' });
    this.graph.on('edgeAdded', onAdded);
    this.graph.on('edgeDropped', onDropped);
    this.graph.on('cleared', onReset);
    this.graph.on('edgesCleared', onReset);
    return () => {
      this.graph.off('edgeAdded', onAdded);
      this.graph.off('edgeDropped', onDropped);
      this.graph.off('cleared', onReset);
      this.graph.off('edgesCleared', onReset);
    };
  }

  #onEdgeEvent(kind: EdgeChange['kind'], edge: EdgeEventPayload): void {
    if (edge.source === edge.target) return;
    // In a multigraph a parallel edge keeps visibility unchanged: nothing to report.
    if (this.graph.multi && this.#countParallel(edge) !== (kind === 'edge-added' ? 1 : 0)) return;
    const change: EdgeChange = {
      kind,
      source: fromNodeKey(edge.source),
      target: fromNodeKey(edge.target),
      directed: !edge.undirected,
    };
    this.#feed.emit(change);
    if (!this.#applyingRemote) this.#publish(change);
  }

  #countParallel(edge: EdgeEventPayload): number {
    const { source, target } = edge;
    if (!this.graph.hasNode(source) || !this.graph.hasNode(target)) return 0;
    return edge.undirected
      ? this.graph.undirectedEdges(source, target).length
      : this.graph.directedEdges(source, target).length;
  }

  #publish(change: EdgeChange): void {
    if (!this.#relay) return;
    try {
      this.#relay.publish(change);
    } catch (error) {
      this.#reportRelayError(error);
    }
  }

  #applyRemote(change: EdgeChange): void {
    if (this.#feed.isClosed) return;
    this.#applyingRemote = true;
    try {
      if (change.kind === 'edge-added') {
        mergeFriendEdge(this.graph, change.source, change.target, change.directed);
      } else {
        dropFriendEdge(this.graph, change.source, change.target, change.directed);
      }
    } catch (error) {
      this.#reportRelayError(error);
    } finally {
      this.#applyingRemote = false;
    }
  }

  #reportRelayError(error: unknown): void {
    this.#onError(
      new GraphProviderError(
        'PRESENCE_GRAPH_UNAVAILABLE',
        'graphology friends graph: change relay failed',
        {
          cause: error,
        },
      ),
    );
  }
}
