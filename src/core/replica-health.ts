/**
 * Replica liveness (Phoenix `Replica`): who is up, down or gone, from messages heard and silence.
 * `now` is always an argument (milliseconds on any monotonic scale the caller chooses).
 *
 * One record per replica name: a message with a newer vsn means the node restarted, so the old
 * incarnation is retired (down, then permdown) and the new one comes up. Incarnations are ordered
 * by vsn: a message from an older incarnation while a newer one is up, or from one retired less
 * than a down period ago, is stale and changes nothing, so a delayed frame or a briefly resumed
 * zombie cannot bring a retired incarnation back. Past that, a lower vsn is accepted (a node whose
 * clock stepped back across a restart must not be locked out).
 */
import { type ReplicaRef, sameReplica } from './replica-ref.js';

export type ReplicaStatus = 'up' | 'down';

export interface ReplicaRecord {
  readonly ref: ReplicaRef;
  readonly status: ReplicaStatus;
  readonly lastHeardAt: number;
}

export type ReplicaTransition =
  | { readonly type: 'up'; readonly ref: ReplicaRef }
  | { readonly type: 'down'; readonly ref: ReplicaRef }
  | { readonly type: 'permdown'; readonly ref: ReplicaRef };

export interface HeardOutcome {
  readonly previous: ReplicaRecord | undefined;
  readonly record: ReplicaRecord;
  readonly transitions: ReplicaTransition[];
  /** The message came from an incarnation older than one already seen: ignore it. */
  readonly stale: boolean;
}

export class ReplicaHealth {
  private readonly records = new Map<string, ReplicaRecord>();
  /** Per name, the newest vsn retired and when (kept one down period; bounded by names). */
  private readonly retired = new Map<string, { vsn: number; at: number }>();

  /** Any message (a heartbeat, a delta, a transfer, ...) heard from `ref` at `now`. */
  heard(ref: ReplicaRef, now: number): HeardOutcome {
    const previous = this.records.get(ref.name);
    const sameAsPrevious = previous !== undefined && sameReplica(previous.ref, ref);
    const retired = this.retired.get(ref.name);
    if (
      !sameAsPrevious &&
      ((previous?.status === 'up' && previous.ref.vsn > ref.vsn) ||
        (retired !== undefined && ref.vsn <= retired.vsn))
    ) {
      return {
        previous,
        record: previous ?? { ref, status: 'down', lastHeardAt: now },
        transitions: [],
        stale: true,
      };
    }
    const record: ReplicaRecord = { ref, status: 'up', lastHeardAt: now };
    this.records.set(ref.name, record);
    const transitions: ReplicaTransition[] = [];
    if (!previous) transitions.push({ type: 'up', ref });
    else if (sameReplica(previous.ref, ref)) {
      if (previous.status === 'down') transitions.push({ type: 'up', ref });
    } else {
      if (previous.status === 'up') transitions.push({ type: 'down', ref: previous.ref });
      transitions.push({ type: 'permdown', ref: previous.ref }, { type: 'up', ref });
      this.retire(previous.ref, now);
    }
    return { previous, record, transitions, stale: false };
  }

  /**
   * Applies silence: above `permdownPeriodMs` a replica is removed (down first if it was up);
   * above `downPeriodMs` it is down. Returns the transitions, in order.
   */
  detectDowns(now: number, downPeriodMs: number, permdownPeriodMs: number): ReplicaTransition[] {
    const transitions: ReplicaTransition[] = [];
    for (const [name, retired] of this.retired) {
      if (now - retired.at > downPeriodMs) this.retired.delete(name);
    }
    for (const [name, record] of this.records) {
      const silence = now - record.lastHeardAt;
      if (silence > permdownPeriodMs) {
        if (record.status === 'up') transitions.push({ type: 'down', ref: record.ref });
        transitions.push({ type: 'permdown', ref: record.ref });
        this.records.delete(name);
        this.retire(record.ref, now);
      } else if (silence > downPeriodMs && record.status === 'up') {
        this.records.set(name, { ...record, status: 'down' });
        transitions.push({ type: 'down', ref: record.ref });
      }
    }
    return transitions;
  }

  /** A replica announced a graceful leave: it is gone now, not after the down period. */
  leave(ref: ReplicaRef, now: number): ReplicaTransition[] {
    const record = this.records.get(ref.name);
    if (!record || !sameReplica(record.ref, ref)) return [];
    this.records.delete(ref.name);
    this.retire(ref, now);
    const transitions: ReplicaTransition[] = [];
    if (record.status === 'up') transitions.push({ type: 'down', ref });
    transitions.push({ type: 'permdown', ref });
    return transitions;
  }

  /**
   * Restarts every silence count at `now`. Used when our own link to the others was down: their
   * silence then says nothing about them, only about us.
   */
  restartSilence(now: number): void {
    for (const [name, record] of this.records) {
      this.records.set(name, { ...record, lastHeardAt: now });
    }
  }

  private retire(ref: ReplicaRef, now: number): void {
    const known = this.retired.get(ref.name);
    if (!known || known.vsn < ref.vsn) this.retired.set(ref.name, { vsn: ref.vsn, at: now });
  }

  get(name: string): ReplicaRecord | undefined {
    return this.records.get(name);
  }

  all(): ReplicaRecord[] {
    return [...this.records.values()];
  }

  counts(): { up: number; down: number } {
    let up = 0;
    for (const record of this.records.values()) if (record.status === 'up') up++;
    return { up, down: this.records.size - up };
  }
}
