/**
 * The cluster's online/offline transitions of users, as this node sees them in its replica of
 * the tracker, each marked `owned` when this node is the one that must act on it (send the
 * webhook, record the last seen). Every node watches every user (the replica holds them all), so
 * when the owner changes the new one already knows who is online and takes over at once.
 *
 * The owner of a user is chosen by rendezvous hashing among the replicas that are up and have run
 * for `ownerWarmUpMs`: a node that just started still learns the cluster from transfers, and would
 * take every user it wins for new. When none has run that long (one node, or a cluster starting
 * together), all up replicas are candidates. Nodes that disagree on who is up (a partition) can
 * both act: consumers are at-least-once.
 */
import { EventEmitter } from 'node:events';
import type { PresenceChange } from '../core/index.js';
import { topicOwnsKey, USER_TOPIC_PREFIX } from '../domain/topics.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../ports/clock.js';
import type { UserId } from '../ports/friends-graph.js';
import { replicaStartedAt, type TrackerReplica } from '../runtime/tracker-replica.js';
import { type OnlineTransition, OnlineTransitions } from './online-transitions.js';
import { rendezvousOwner } from './rendezvous-owner.js';

/** Centrifugo's delay before a "vacated" event: long enough for a reconnect or a device move. */
export const DEFAULT_OFFLINE_DELAY_MS = 5_000;
/** Long enough to take a full transfer of a large cluster's state. */
export const DEFAULT_OWNER_WARM_UP_MS = 30_000;

export interface UserOnlineFeedOptions {
  readonly replica: TrackerReplica;
  /** How long a user stays online without a visible connection. @default 5000 (ms) */
  readonly offlineDelayMs?: number;
  /** How long a started node waits before it owns users. @default 30000 (ms) */
  readonly ownerWarmUpMs?: number;
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
  private readonly replica: TrackerReplica;
  private readonly transitions: OnlineTransitions;
  private readonly ownerWarmUpMs: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;

  constructor(options: UserOnlineFeedOptions) {
    super();
    this.replica = options.replica;
    this.transitions = new OnlineTransitions(options.offlineDelayMs ?? DEFAULT_OFFLINE_DELAY_MS);
    this.ownerWarmUpMs = options.ownerWarmUpMs ?? DEFAULT_OWNER_WARM_UP_MS;
    this.clock = options.clock ?? systemClock;
    this.timers = options.clock ?? systemTimers;
  }

  /** Starts watching; start it with the replica (before it holds anything) to miss nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.replica.on('diff', this.onDiff);
  }

  /**
   * Stops watching. With `flush`, users still within their offline delay go offline now (as of
   * when they left): for the last node of a cluster shutting down, as nobody else will. A node
   * that leaves others behind does not flush: its users may be reconnecting to them.
   */
  stop(options: { flush?: boolean } = {}): void {
    if (!this.running) return;
    this.running = false;
    this.replica.off('diff', this.onDiff);
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

  private readonly onDiff = (change: PresenceChange): void => {
    const now = this.wallMs();
    const users = new Set<UserId>();
    for (const presences of [change.joins, change.leaves]) {
      for (const { topic, key } of presences) {
        if (topic.startsWith(USER_TOPIC_PREFIX) && topicOwnsKey(topic, key)) users.add(key);
      }
    }
    for (const user of users) {
      const visible = this.replica.view.get(USER_TOPIC_PREFIX + user, user).length > 0;
      const online = this.transitions.observe(user, visible, now);
      if (online) this.publish([online]);
    }
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
    const candidates = this.candidates();
    const self = this.replica.ref.name;
    for (const transition of transitions) {
      const owned = rendezvousOwner(transition.user, candidates) === self;
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

  /** Up replicas (this one included) that have run for the warm-up; all up ones if none has. */
  private candidates(): string[] {
    const up = [this.replica.ref];
    for (const record of this.replica.health.all()) {
      if (record.status === 'up') up.push(record.ref);
    }
    const matureBefore = this.clock.now() - this.ownerWarmUpMs;
    const mature = up.filter((ref) => replicaStartedAt(ref) <= matureBefore);
    return (mature.length > 0 ? mature : up).map((ref) => ref.name);
  }
}
