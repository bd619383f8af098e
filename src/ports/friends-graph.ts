/**
 * The friends-graph port: "whose presence may this user see", and a feed of changes to that.
 * Interfaces only; adapters live in the top-level `graph-adapters/` folder and src/ never
 * imports them.
 *
 * Visibility rule: an undirected edge `a — b` lets both see each other; a directed edge
 * `a → b` lets `a` (the source) see `b` (the target). Self-loops never count.
 */

import type { UserId } from '../domain/user-id.js';

/** An edge was added to or removed from the graph. Reported once per actual change. */
export interface EdgeChange {
  readonly kind: 'edge-added' | 'edge-removed';
  readonly source: UserId;
  readonly target: UserId;
  /** `true`: only `source` sees `target`. `false`: both see each other. */
  readonly directed: boolean;
}

/**
 * What the graph feed reports.
 * - `edge-added` / `edge-removed`: see {@link EdgeChange}.
 * - `visibility-changed`: the visible sets of `viewers` changed in ways the provider cannot
 *   spell as edges (a block, a privacy setting); re-read `visibleTo` for each of them.
 * - `reset`: anything may have changed (graph cleared or reloaded, or the feed was
 *   interrupted and changes may have been missed); re-read `visibleTo` for everyone.
 */
export type FriendsGraphChange =
  | EdgeChange
  | { readonly kind: 'visibility-changed'; readonly viewers: readonly UserId[] }
  | { readonly kind: 'reset' };

export type FriendsGraphListener = (change: FriendsGraphChange) => void;

/** Where adapters report failures that happen outside any call (a dropped feed, bad data). */
export type FriendsGraphErrorListener = (error: Error) => void;

export interface FriendsGraph {
  /**
   * The users whose presence `userId` may see, without duplicates and never `userId` itself,
   * in no particular order. An unknown user sees nobody: `[]`, not an error.
   * Rejects with `InvalidInputError` for an empty or non-string id, and with
   * `GraphProviderError` (`PRESENCE_GRAPH_UNAVAILABLE` / `_TIMEOUT` / `_INVALID_DATA` /
   * `_CLOSED`) when the store cannot answer.
   */
  visibleTo(userId: UserId): Promise<readonly UserId[]>;

  /**
   * Hear about changes, in the order the store made them. A listener that throws does not
   * stop the others. Returns a function that stops this listener (safe to call twice).
   */
  subscribe(listener: FriendsGraphListener): () => void;

  /** Stop the feed and release what the adapter opened (never injected clients). Idempotent. */
  close(): Promise<void>;

  /**
   * Optional: a cheap round trip to the store, for readiness (`/readyz`). Resolves when the store
   * answers, rejects like `visibleTo` when it cannot. Adapters whose `visibleTo` may answer from a
   * cache implement it so the check reaches the store; without it readiness asks `visibleTo` for
   * {@link GRAPH_PROBE_USER}, a user nobody has.
   */
  check?(): Promise<void>;
}

/** The user id readiness asks the graph about: it sees nobody, and nobody sees it. */
export const GRAPH_PROBE_USER: UserId = '__graph-presence-readiness-probe__';

/** Adapters whose store the service may write to offer these; `addEdge` is idempotent. */
export interface FriendsGraphEditor {
  addEdge(source: UserId, target: UserId, options?: { directed?: boolean }): Promise<void>;
  removeEdge(source: UserId, target: UserId, options?: { directed?: boolean }): Promise<void>;
}

/**
 * Carries graph changes between the nodes of a cluster, for adapters whose data lives in each
 * node's memory (graphology). The server injects one built on the replication transport.
 * A relay must not deliver a node's own changes back to it; adapters apply remote changes
 * idempotently, so an occasional duplicate is harmless.
 */
export interface FriendsGraphChangeRelay {
  publish(change: EdgeChange): void;
  /** Receive changes published by other nodes. Returns a function that stops receiving. */
  subscribe(onRemoteChange: (change: EdgeChange) => void): () => void;
}

/** The users whose visible set a change alters: the gateway re-subscribes their sockets. */
export function viewersAffectedBy(change: FriendsGraphChange): readonly UserId[] | 'everyone' {
  switch (change.kind) {
    case 'edge-added':
    case 'edge-removed':
      return change.directed ? [change.source] : [change.source, change.target];
    case 'visibility-changed':
      return change.viewers;
    case 'reset':
      return 'everyone';
  }
}
