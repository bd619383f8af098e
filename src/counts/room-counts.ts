/**
 * Count-only rooms: "12,345 online" in a huge room without replicating who is in it.
 *
 * Each node tracks ONE presence per room it has members in: topic `count:<room>`, key = its node
 * name, meta `{ n }` = its member connections. The tracker's replication, down/up/permdown and
 * transfers carry these like any presence, so a node that goes down loses its share everywhere
 * and gets it back when it returns. A room's count = this node's live count + the `n` of every
 * other visible node entry: O(nodes in the room) per read.
 *
 * Writes are coalesced: joins and leaves change a local number at once; the node's entry is
 * re-published at most once per broadcast period, and members are told the new count (through
 * `onCount`) at most once per period too, only when it changed. Nothing here names a user.
 */
import type { ChangeRoutes } from '../change-router/change-routes.js';
import type { RoutedChange } from '../change-router/routed-change.js';
import type { Presence } from '../core/index.js';
import { systemTimers, type Timers } from '../ports/clock.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';

/** Tracker topic prefix of count-only rooms (not a socket.io room: no client ever joins it). */
export const COUNT_TOPIC_PREFIX = 'count:';

export function countTopic(room: string): string {
  return COUNT_TOPIC_PREFIX + room;
}

export interface RoomCountsOptions {
  readonly replica: PresenceTracker;
  /** Where other nodes' shares are followed (the change router's `counts` consumers). */
  readonly changes: ChangeRoutes;
  /** Tells this node's members of `room` its count changed. */
  readonly onCount: (room: string, count: number) => void;
  /** Coalescing period. @default the replica's broadcast period */
  readonly periodMs?: number;
  /** @default system timers (unref'd) */
  readonly timers?: Timers;
}

/** A node entry's `n`, whatever a remote node sent. */
function memberCount(presence: Presence): number {
  const n = presence.meta['n'];
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

export class RoomCounts {
  private readonly replica: PresenceTracker;
  private readonly onCount: RoomCountsOptions['onCount'];
  private readonly periodMs: number;
  /** Room → member connections on this node (absent: none). */
  private readonly local = new Map<string, number>();
  /** Room → the `n` our tracked entry says (absent: not tracked). */
  private readonly published = new Map<string, number>();
  /** Rooms whose count may have changed since members were last told. */
  private readonly changed = new Set<string>();
  /** Room → the count members were last told. */
  private readonly told = new Map<string, number>();
  private readonly timers: Timers;
  private timer: unknown;
  private readonly detachChanges: () => void;
  private closed = false;

  constructor(options: RoomCountsOptions) {
    this.replica = options.replica;
    this.onCount = options.onCount;
    this.periodMs = options.periodMs ?? options.replica.timing.broadcastPeriodMs;
    this.timers = options.timers ?? systemTimers;
    this.detachChanges = options.changes.attach('counts', {
      changed: (change) => this.remoteChanged(change),
    });
  }

  /** A connection of this node joined `room`; returns the room's count with it. */
  add(room: string): number {
    this.local.set(room, (this.local.get(room) ?? 0) + 1);
    this.touch(room);
    return this.count(room);
  }

  /** A connection of this node left `room`. */
  remove(room: string): void {
    const n = this.local.get(room);
    if (n === undefined) return;
    if (n > 1) this.local.set(room, n - 1);
    else this.local.delete(room);
    this.touch(room);
  }

  /** Members of `room` cluster-wide: ours now, other nodes' as last replicated. O(nodes). */
  count(room: string): number {
    const { view, ref } = this.replica;
    let total = this.local.get(room) ?? 0;
    for (const presence of view.list(countTopic(room))) {
      if (presence.replica.ref !== ref) total += memberCount(presence);
    }
    return total;
  }

  /** Member connections of `room` on this node. */
  localCount(room: string): number {
    return this.local.get(room) ?? 0;
  }

  /** Publishes what changed and tells members; runs by itself once per period when needed. */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const rooms = [...this.changed];
    this.changed.clear();
    for (const room of rooms) {
      this.publish(room);
      const members = this.local.get(room);
      if (members === undefined) {
        this.told.delete(room);
        continue;
      }
      const count = this.count(room);
      if (this.told.get(room) === count) continue;
      this.told.set(room, count);
      this.onCount(room, count);
    }
  }

  /**
   * Publishes the last local counts and stops. The replica's leave announcement (its owner
   * stops it) then removes this node's shares everywhere at once. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.detachChanges();
  }

  private touch(room: string): void {
    this.changed.add(room);
    if (this.timer !== undefined || this.closed) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.periodMs);
  }

  private publish(room: string): void {
    const n = this.local.get(room) ?? 0;
    const was = this.published.get(room);
    if (n === (was ?? 0)) return;
    const topic = countTopic(room);
    const { replica } = this;
    const key = replica.ref.name;
    // One connection id per room, so each entry has its own (one-entry) connection list.
    const conn = topic;
    if (n === 0) {
      replica.untrack(topic, key, conn);
      this.published.delete(room);
      return;
    }
    const meta = { n };
    const ok =
      was === undefined
        ? replica.track(topic, key, conn, meta).ok
        : replica.update(topic, key, conn, meta).ok;
    if (ok) this.published.set(room, n);
  }

  private remoteChanged(change: RoutedChange): void {
    if (this.local.size === 0) return;
    const self = this.replica.ref;
    for (const [topic, { joins, leaves }] of change.topics) {
      if (!topic.startsWith(COUNT_TOPIC_PREFIX)) continue;
      const room = topic.slice(COUNT_TOPIC_PREFIX.length);
      if (!this.local.has(room)) continue;
      if (joins.some(notSelf) || leaves.some(notSelf)) this.touch(room);
    }
    function notSelf(presence: Presence): boolean {
      return presence.replica.ref !== self;
    }
  }
}
