/**
 * The tracker as the modules above the runtime see it: this node's replica ref, its timing and
 * counters, a read-only view of what it holds and of the cluster's health, and writes that report
 * their change.
 *
 * It is a port (like the replication transport) because the gateway, counts, delivery, the
 * backend's online feed, the query and the HTTP metrics depend on what the tracker does, not on
 * how a replica runs it. The runtime's TrackerReplica implements it; only src/runtime and the
 * composition root (src/server/create-presence-server.ts) name that class
 * (test/architecture/tracker-port.test.ts). Nothing above the runtime holds the core's mutable
 * PresenceState or ReplicaHealth: a write through anything but this port would skip the change
 * report and the check that a meta can be replicated.
 *
 * Changes and replica up/down events are not read here: the tracker reports them (TrackerEvents)
 * to the one change router (src/change-router/), which hands each, grouped by topic, to the
 * consumers in a declared order. No consumer listens to the tracker itself.
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
  ReplicaRecord,
  ReplicaRef,
  ReplicaTransition,
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

/** The tracker's timing that consumers follow (the runtime's resolved timing options). */
export interface TrackerTiming {
  /** Deltas go out this often: a change reaches the other nodes within about one period. */
  readonly broadcastPeriodMs: number;
  /** Silence before a replica is down (its presences hidden). */
  readonly downPeriodMs: number;
  /** Silence before a replica is forgotten (its presences deleted). */
  readonly permdownPeriodMs: number;
}

/** The replica's counters since start, for metrics and tests. */
export interface TrackerStats {
  readonly heartbeatsSent: number;
  readonly deltasSent: number;
  readonly deltasMerged: number;
  readonly gaps: number;
  readonly transferRequestsSent: number;
  readonly transferRequestsServed: number;
  readonly transferPartsReceived: number;
  readonly framesDropped: number;
  /** Frames refused because they speak for a replica other than the node that sent them. */
  readonly framesRefused: number;
}

/** The other replicas as this one knows them, read-only (the runtime alone changes it). */
export interface ReplicaHealthView {
  /** Every other replica known, up or down. */
  all(): ReplicaRecord[];
  /** How many other replicas are up and down. */
  counts(): { up: number; down: number };
}

/** Another replica came up, went down, or was forgotten (permdown). */
export interface ReplicaEvent {
  readonly type: ReplicaTransition['type'];
  readonly ref: ReplicaRef;
}

/**
 * Writes to this node's own presences, and what consumers read of the replica. Each write returns
 * the change it caused and, when the change is not empty, reports it (TrackerEvents), with every
 * change merged from other replicas.
 */
export interface PresenceTracker {
  /** This replica: its name is this node's. */
  readonly ref: ReplicaRef;
  readonly view: TrackerView;
  readonly timing: TrackerTiming;
  readonly stats: TrackerStats;
  readonly health: ReplicaHealthView;
  /** When `ref` started (ms on the replica's clock), read from its vsn. */
  startedAt(ref: ReplicaRef): number;
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
}

/**
 * What the tracker reports, synchronously, as it happens: for the change router
 * (src/change-router/) alone; the architecture test fails on any other listener.
 */
export interface TrackerEvents {
  /** Visible presences changed (local write, merge, transfer, replica up/down). Never empty. */
  on(event: 'diff', listener: (change: PresenceChange) => void): this;
  on(event: 'replica', listener: (event: ReplicaEvent) => void): this;
  off(event: 'diff', listener: (change: PresenceChange) => void): this;
  off(event: 'replica', listener: (event: ReplicaEvent) => void): this;
}
