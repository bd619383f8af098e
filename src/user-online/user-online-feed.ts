/**
 * The cluster's online/offline transitions of users, as this node sees them in its replica of
 * the tracker, each marked `owned` when this node is the one that must act on it (send the
 * webhook, record the last seen). Every node watches every user (the replica holds them all), so
 * when the owner changes the new one already knows who is online and takes over at once.
 *
 * The owner of a user is chosen by rendezvous hashing among the replicas that are up and have run
 * for `ownerWarmUpMs`: a node that just started still learns the cluster from transfers, and would
 * take every user it wins for new. Nodes that started within the warm-up of the earliest one up
 * (one node, or a cluster starting together) are candidates from the start.
 *
 * Nodes see the candidates change (a node up, down, or warm) at slightly different moments, and
 * decide on one transition at slightly different moments too (each when its replica saw it). So
 * that a transition decided across a change is never owned by nobody, a node also acts on what it
 * owned under the candidates it saw before, for `ownershipOverlapMs` after they changed. Around a
 * change both old and new owners may act, as both sides of a partition do: consumers are
 * at-least-once (webhooks carry ids and seqs, the last-seen store keeps the larger time).
 */
import { EventEmitter } from 'node:events';
import type { ChangeRoutes } from '../change-router/change-routes.js';
import type { RoutedChange } from '../change-router/routed-change.js';
import type { ReplicaRef } from '../core/index.js';
import { topicOwnsKey, USER_TOPIC_PREFIX } from '../domain/topics.js';
import type { UserId } from '../domain/user-id.js';
import { BACKEND_OPTIONS, TRACKER_TIMING_OPTIONS } from '../options/index.js';
import { ownershipOverlapMs } from '../options/timing.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../ports/clock.js';
import type { PresenceTracker, ReplicaEvent } from '../ports/presence-tracker.js';
import { type OnlineTransition, OnlineTransitions } from './online-transitions.js';
import { rendezvousOwner } from './rendezvous-owner.js';

/** Centrifugo's delay before a "vacated" event: long enough for a reconnect or a device move. */
export const DEFAULT_OFFLINE_DELAY_MS = BACKEND_OPTIONS.options.offlineDelayMs.default;
/** Long enough to take a full transfer of a large cluster's state. */
export const DEFAULT_OWNER_WARM_UP_MS = BACKEND_OPTIONS.options.ownerWarmUpMs.default;
/** Longer than nodes take to see the same change, with the default broadcast period. */
export const DEFAULT_OWNERSHIP_OVERLAP_MS = ownershipOverlapMs(
  TRACKER_TIMING_OPTIONS.options.broadcastPeriodMs.default,
);

export interface UserOnlineFeedOptions {
  readonly replica: PresenceTracker;
  /** Where the feed follows changes and replicas up/down (the change router's `onlineFeed`). */
  readonly changes: ChangeRoutes;
  /** How long a user stays online without a visible connection. @default 5000 (ms) */
  readonly offlineDelayMs?: number;
  /** How long a started node waits before it owns users. @default 30000 (ms) */
  readonly ownerWarmUpMs?: number;
  /**
   * How long a node still acts on what it owned before the candidates changed.
   * @default 5000, or longer with a long broadcast period (src/options/timing.ts)
   */
  readonly ownershipOverlapMs?: number;
  /** Wall time (events carry ms since the epoch) and timers. @default the system's */
  readonly clock?: Clock & Timers;
}

export interface UserOnlineTransition extends OnlineTransition {
  /** This node is the user's owner: it acts on the transition; the others only watch. */
  readonly owned: boolean;
}

export interface UserOnlineFeedEvents {
  transition: [transition: UserOnlineTransition];
}

/** Transitions seen on this node, and those of them it owned (acted on). */
export interface UserOnlineStats {
  online: number;
  offline: number;
  ownedOnline: number;
  ownedOffline: number;
}

export class UserOnlineFeed extends EventEmitter<UserOnlineFeedEvents> {
  readonly stats: UserOnlineStats = { online: 0, offline: 0, ownedOnline: 0, ownedOffline: 0 };
  private readonly replica: PresenceTracker;
  private readonly changes: ChangeRoutes;
  private detachChanges: (() => void) | undefined;
  private readonly transitions: OnlineTransitions;
  private readonly ownerWarmUpMs: number;
  private readonly ownershipOverlapMs: number;
  /** Replicas that came up or went down within the overlap: the last change of each. */
  private readonly upChanges = new Map<string, { up: boolean; at: number; ref: ReplicaRef }>();
  private readonly clock: Clock;
  private readonly timers: Timers;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;
  private startedAt = Number.POSITIVE_INFINITY;

  constructor(options: UserOnlineFeedOptions) {
    super();
    this.replica = options.replica;
    this.changes = options.changes;
    this.transitions = new OnlineTransitions(options.offlineDelayMs ?? DEFAULT_OFFLINE_DELAY_MS);
    this.ownerWarmUpMs = options.ownerWarmUpMs ?? DEFAULT_OWNER_WARM_UP_MS;
    this.ownershipOverlapMs =
      options.ownershipOverlapMs ?? ownershipOverlapMs(this.replica.timing.broadcastPeriodMs);
    this.clock = options.clock ?? systemClock;
    this.timers = options.clock ?? systemTimers;
  }

  /** Starts watching; start it with the replica (before it holds anything) to miss nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.clock.now();
    this.detachChanges = this.changes.attach('onlineFeed', {
      changed: this.onDiff,
      replicaChanged: this.onReplica,
    });
  }

  /**
   * Stops watching. With `flush`, users still within their offline delay go offline now (as of
   * when they left): for the last node of a cluster shutting down, as nobody else will. A node
   * that leaves others behind does not flush: its users may be reconnecting to them.
   */
  stop(options: { flush?: boolean } = {}): void {
    if (!this.running) return;
    this.running = false;
    this.detachChanges?.();
    this.detachChanges = undefined;
    this.clearTimer();
    if (options.flush === true) this.publish(this.transitions.flush());
  }

  isOnline(user: UserId): boolean {
    return this.transitions.isOnline(user);
  }

  /** Users online for the backend, those within their offline delay included. */
  get onlineCount(): number {
    return this.transitions.onlineCount;
  }

  /** The node that acts on `user`'s transitions, as this node sees the cluster now. */
  ownerOf(user: UserId): string | undefined {
    return rendezvousOwner(user, this.candidates());
  }

  /**
   * A node up or down: remembered for the overlap. Nodes found up within the overlap after this
   * one started were up before it: no change to overlap (or this node alone would own them all).
   */
  private readonly onReplica = ({ type, ref }: ReplicaEvent): void => {
    if (type === 'permdown') return;
    const now = this.clock.now();
    if (type === 'up' && now - this.startedAt < this.ownershipOverlapMs) return;
    this.upChanges.set(ref.name, { up: type === 'up', at: now, ref });
  };

  private readonly onDiff = (change: RoutedChange): void => {
    const now = this.wallMs();
    const users = new Set<UserId>();
    for (const [topic, { joins, leaves }] of change.topics) {
      if (!topic.startsWith(USER_TOPIC_PREFIX)) continue;
      for (const { key } of joins) if (topicOwnsKey(topic, key)) users.add(key);
      for (const { key } of leaves) if (topicOwnsKey(topic, key)) users.add(key);
    }
    const onlines: OnlineTransition[] = [];
    for (const user of users) {
      const visible = this.replica.view.get(USER_TOPIC_PREFIX + user, user).length > 0;
      const online = this.transitions.observe(user, visible, now);
      if (online) onlines.push(online);
    }
    // One owner computation for a whole diff (a storm's diff names thousands of users).
    this.publish(onlines);
    this.schedule();
  };

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (!this.running) return;
    this.publish(this.transitions.due(this.wallMs()));
    this.schedule();
  };

  /** Whole ms since the epoch: what events and the last-seen store carry. */
  private wallMs(): number {
    return Math.floor(this.clock.now());
  }

  private schedule(): void {
    const dueAt = this.transitions.nextDueAt();
    if (dueAt === undefined || dueAt >= this.timerAt) return;
    this.clearTimer();
    this.timerAt = dueAt;
    this.timer = this.timers.setTimeout(this.onTimer, Math.max(0, dueAt - this.clock.now()));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private publish(transitions: readonly OnlineTransition[]): void {
    if (transitions.length === 0) return;
    const sets = this.ownerSets(this.clock.now());
    const self = this.replica.ref.name;
    for (const transition of transitions) {
      const owned = sets.some((names) => rendezvousOwner(transition.user, names) === self);
      if (transition.type === 'online') {
        this.stats.online++;
        if (owned) this.stats.ownedOnline++;
      } else {
        this.stats.offline++;
        if (owned) this.stats.ownedOffline++;
      }
      this.emit('transition', { ...transition, owned });
    }
  }

  /**
   * The candidates now and as they were `ownershipOverlapMs` ago: replicas that came up since are
   * taken out, those that went down since put back, and each one's warm-up is judged at that time.
   * A node that started within the overlap has no "before": the replicas it found up at its start
   * were up before it, and it claims nothing for itself alone.
   */
  private ownerSets(now: number): (readonly string[])[] {
    const before = now - this.ownershipOverlapMs;
    if (before < this.startedAt) return [this.candidates()];
    for (const [name, change] of this.upChanges) {
      if (change.at <= before) this.upChanges.delete(name);
    }
    const up = this.upReplicas();
    const upBefore = up.filter((ref) => this.upChanges.get(ref.name)?.up !== true);
    for (const change of this.upChanges.values()) if (!change.up) upBefore.push(change.ref);
    const current = this.warmOnes(up, now);
    const previous = this.warmOnes(upBefore, before);
    return current.join('\n') === previous.join('\n') ? [current] : [current, previous];
  }

  /** Up replicas (this one included) that have run for the warm-up or started with the first. */
  private candidates(): string[] {
    return this.warmOnes(this.upReplicas(), this.clock.now());
  }

  private upReplicas(): ReplicaRef[] {
    const up = [this.replica.ref];
    for (const record of this.replica.health.all()) {
      if (record.status === 'up') up.push(record.ref);
    }
    return up;
  }

  /**
   * The names of `refs` that are candidates at `at`, sorted: those that have run for the warm-up,
   * and those that started within the warm-up of the earliest one (a cluster starting together is
   * one cohort: all of them own from the start, and none drops out when the first turns warm).
   */
  private warmOnes(refs: readonly ReplicaRef[], at: number): string[] {
    const startedAt = (ref: ReplicaRef) => this.replica.startedAt(ref);
    const earliest = Math.min(...refs.map(startedAt));
    const threshold = Math.max(at - this.ownerWarmUpMs, earliest + this.ownerWarmUpMs);
    return refs
      .filter((ref) => startedAt(ref) <= threshold)
      .map((ref) => ref.name)
      .sort();
  }
}
