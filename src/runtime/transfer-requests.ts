/**
 * When to ask whom for a transfer.
 *
 * Clocks heard in heartbeats are gathered over `clockSamplePeriods` ticks (time for in-flight
 * deltas to land); then our own clock is added and the replicas whose clocks ours does not cover
 * are asked (Phoenix's clock sampling). One request per replica at a time: a large answer may
 * take longer than a sampling round, and asking again would restart it forever.
 */
import {
  appendClock,
  type Context,
  dominates,
  type NamedClock,
  type ReplicaKey,
} from '../core/index.js';

interface Outstanding {
  readonly requestId: string;
  /** When we last heard of this request (sent, or a part arrived): its timeout is silence. */
  lastHeardAt: number;
  received: number;
  total: number | undefined;
}

export class TransferRequests {
  private heard: NamedClock[] = [];
  private readonly outstanding = new Map<string, Outstanding>();
  private ticksUntilSample: number;
  private sequence = 0;

  constructor(
    private readonly samplePeriods: number,
    private readonly timeoutMs: number,
  ) {
    this.ticksUntilSample = samplePeriods;
  }

  /** A clock heard from `replica` (a replica name → its context). */
  heardClock(replica: ReplicaKey, context: Context): void {
    this.heard = appendClock(this.heard, { replica, context });
  }

  /**
   * Called every tick. On a sampling tick returns the replicas to ask (by ReplicaKey), skipping
   * those with an answer still on its way; otherwise an empty list.
   */
  sample(self: ReplicaKey, ownClock: Context, now: number): ReplicaKey[] {
    this.expire(now);
    if (--this.ticksUntilSample > 0) return [];
    this.ticksUntilSample = this.samplePeriods;
    const set = appendClock(this.heard, { replica: self, context: ownClock });
    this.heard = [];
    // Unlike Phoenix, also skip clocks ours covers: they would answer with nothing.
    return set
      .filter((c) => c.replica !== self && !this.outstanding.has(c.replica))
      .filter((c) => !dominates(ownClock, c.context))
      .map((c) => c.replica);
  }

  /** Records a request sent to `replica`; returns its id. */
  sent(replica: ReplicaKey, selfTag: string, now: number): string {
    const requestId = `${selfTag}-${++this.sequence}`;
    this.outstanding.set(replica, { requestId, lastHeardAt: now, received: 0, total: undefined });
    return requestId;
  }

  isOutstanding(replica: ReplicaKey): boolean {
    return this.outstanding.has(replica);
  }

  /** One part of an answer arrived; the request is done when all parts have. */
  partReceived(replica: ReplicaKey, requestId: string, total: number, now: number): void {
    const pending = this.outstanding.get(replica);
    if (pending?.requestId !== requestId) return;
    pending.lastHeardAt = now; // a large answer is still arriving: do not ask again
    pending.total = total;
    pending.received++;
    if (pending.received >= total) this.outstanding.delete(replica);
  }

  /** Forget every request (our link went down: answers may be lost). */
  reset(): void {
    this.outstanding.clear();
    this.heard = [];
  }

  forget(replica: ReplicaKey): void {
    this.outstanding.delete(replica);
  }

  private expire(now: number): void {
    for (const [replica, pending] of this.outstanding) {
      if (now - pending.lastHeardAt > this.timeoutMs) this.outstanding.delete(replica);
    }
  }
}
