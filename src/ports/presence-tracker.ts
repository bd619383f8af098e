/**
 * The tracker as its users see it: writes that report their diff, and a read-only view.
 *
 * It is a port (like the replication transport) because the gateway, counts, delivery, the query
 * and the HTTP metrics depend on what the tracker does, not on how a replica runs it: the runtime's
 * TrackerReplica implements it, and nothing above the runtime holds the core's mutable
 * PresenceState. A write through anything else would skip the `diff` event (subscribers would miss
 * the change) and the check that a meta can be replicated.
 *
 * The view is named TrackerView, not PresenceView: that name is the client SDK's synced view.
 */
import type {
  Meta,
  MoveResult,
  PrefixCounts,
  Presence,
  PresenceChange,
  ReplicaKey,
  ReplicaRef,
  TrackResult,
  UpdateResult,
} from '../core/index.js';

/**
 * What the tracker holds now, read in O(answer) from its indexes. Arrays and maps are fresh copies
 * the caller may keep; the presences in them are immutable.
 */
export interface TrackerView {
  /** Visible presences of one key on a topic (one user's connections on `user:<id>`). */
  get(topic: string, key: string): Presence[];
  /** Visible presences on a topic. */
  list(topic: string): Presence[];
  /** Visible presences on a topic, by key. */
  listByKey(topic: string): Map<string, Presence[]>;
  /** Number of visible presences on a topic. */
  count(topic: string): number;
  /** Number of keys with a visible presence on a topic. */
  keyCount(topic: string): number;
  /**
   * Visible presences and non-empty topics under a counted prefix (live, O(1)); undefined for a
   * prefix the tracker does not count.
   */
  prefixCounts(prefix: string): PrefixCounts | undefined;
  /** This node's presences of one connection, in tracking order. */
  connectionPresences(conn: string): Presence[];
  /** Visible presences in all topics. */
  readonly size: number;
  /** Topics with a visible presence. */
  readonly topicCount: number;

  // The cluster as this replica knows it: for diagnostics, metrics and tests.

  /** Every replica known (this one included). */
  replicas(): ReplicaRef[];
  isUp(ref: ReplicaRef): boolean;
  /** How far this replica has applied each replica that is up (its causal context). */
  clock(): ReadonlyMap<ReplicaKey, number>;
  /** Stored entries of one replica, visible or hidden (a down replica's are hidden). */
  entryCount(ref: ReplicaRef): number;
  entriesOf(ref: ReplicaRef): Presence[];
}

/**
 * Writes to this node's own presences. Each returns the change it caused and, when the change is
 * not empty, emits it as `diff` (with every change merged from other replicas).
 */
export interface PresenceTracker {
  readonly view: TrackerView;
  /** @throws InvalidInputError when the meta is not plain JSON (it could not be replicated). */
  track(topic: string, key: string, conn: string, meta: Meta): TrackResult;
  /** Untracking what is not tracked is a no-op with no change. */
  untrack(topic: string, key: string, conn: string): PresenceChange;
  /** Untracks every presence of a connection (it closed). */
  untrackConnection(conn: string): PresenceChange;
  /** @throws InvalidInputError when the meta is not plain JSON (it could not be replicated). */
  update(topic: string, key: string, conn: string, meta: Meta): UpdateResult;
  /**
   * Moves a presence to `toTopic` (same key and connection) with a new meta in one step: one
   * change (a leave on the old topic, a join on the new), one delta entry, never both or neither.
   * @throws InvalidInputError when the meta is not plain JSON (it could not be replicated).
   */
  move(topic: string, key: string, conn: string, toTopic: string, meta: Meta): MoveResult;
  on(event: 'diff', listener: (change: PresenceChange) => void): this;
  off(event: 'diff', listener: (change: PresenceChange) => void): this;
}
