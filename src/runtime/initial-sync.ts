/**
 * Whether a replica has caught up with the cluster since its link last came up (its start, or
 * its return after a bus outage): what readiness (`/readyz`) waits for, so a balancer routes
 * clients only to a node that holds the cluster's presences.
 *
 * Caught up means, checked on every tick once `settleTicks` ticks have run with the link up:
 * every replica this one sees as up has sent a heartbeat whose clock ours covers, and no transfer
 * request is outstanding. The settle ticks give every live peer time to be heard: our first tick
 * (or the link's return) says hello, a peer heartbeats on its next tick after hearing it, and the
 * clocks heard are sampled for transfers (TransferRequests) on the sampling tick.
 *
 * A peer that never gets covered (it stopped answering, or its clock names a replica we dropped)
 * cannot hold the node back forever: after `maxWaitMs` with the link up (the down period: by
 * then a silent peer is down) the sync counts as done and `gaveUp` names who was still behind.
 */
import { type Context, dominates, type ReplicaKey } from '../core/index.js';

export interface SyncCheck {
  /** The clock's time (ms). */
  readonly now: number;
  readonly ownClock: Context;
  /** The replicas this one sees as up. */
  readonly upReplicas: readonly ReplicaKey[];
  readonly isOutstanding: (replica: ReplicaKey) => boolean;
}

export type SyncOutcome =
  | { readonly status: 'syncing'; readonly behind: readonly ReplicaKey[] }
  | { readonly status: 'done' }
  | { readonly status: 'gave-up'; readonly behind: readonly ReplicaKey[] };

export class InitialSync {
  /** The last clock each replica heartbeated. */
  private readonly clocks = new Map<ReplicaKey, Context>();
  private done = false;
  private ticks = 0;
  private linkUpAt: number | undefined;
  private lastBehind: readonly ReplicaKey[] = [];

  constructor(
    private readonly settleTicks: number,
    private readonly maxWaitMs: number,
  ) {}

  get isDone(): boolean {
    return this.done;
  }

  /** Who was behind at the last check (empty when done or not yet checked). */
  get behind(): readonly ReplicaKey[] {
    return this.done ? [] : this.lastBehind;
  }

  heardClock(replica: ReplicaKey, clock: Context): void {
    this.clocks.set(replica, clock);
  }

  forget(replica: ReplicaKey): void {
    this.clocks.delete(replica);
  }

  /** The link went down or came back: what we hold may lag the cluster again. */
  restart(linkUpAt: number | undefined): void {
    this.done = false;
    this.ticks = 0;
    this.linkUpAt = linkUpAt;
    this.lastBehind = [];
  }

  /** One tick with the link up. Returns the outcome when this tick ended the sync. */
  tick(check: SyncCheck): SyncOutcome {
    if (this.done) return { status: 'done' };
    this.linkUpAt ??= check.now;
    if (++this.ticks < this.settleTicks) return { status: 'syncing', behind: [] };
    const behind = check.upReplicas.filter((replica) => {
      if (check.isOutstanding(replica)) return true;
      const clock = this.clocks.get(replica);
      return clock === undefined || !dominates(check.ownClock, clock);
    });
    this.lastBehind = behind;
    if (behind.length === 0) {
      this.done = true;
      return { status: 'done' };
    }
    if (check.now - this.linkUpAt >= this.maxWaitMs) {
      this.done = true;
      return { status: 'gave-up', behind };
    }
    return { status: 'syncing', behind };
  }
}
