/**
 * What one replica's state knows about one replica (itself included): how far it has applied that
 * replica's operations, whether it is up, its entries by counter (the dot index through which
 * removes are applied by lookup), its buffered deltas and an unfinished snapshot transfer.
 */
import { DeltaGenerations } from './delta-generations.js';
import type { Entry } from './entry.js';
import { type ReplicaKey, type ReplicaRef, replicaKey, replicaTag } from './replica-ref.js';

/** A chunked full-state transfer of one replica, being received. */
export interface PendingSnapshot {
  readonly transferId: string;
  /** The snapshot describes the replica's entries as of this counter. */
  readonly upTo: number;
  readonly chunkCount: number;
  readonly chunksSeen: Set<number>;
  /** Counters listed by the snapshot so far: entries ≤ upTo not listed were removed. */
  readonly listed: Set<number>;
}

export class ReplicaSlot {
  readonly key: ReplicaKey;
  readonly tag: string;
  /** Highest counter up to which all of this replica's operations are applied. */
  context = 0;
  up = true;
  /**
   * Down, and its crash grace over: entries added now are released at once (see
   * PresenceState.releaseHeld). Cleared when it is up again.
   */
  releasing = false;
  readonly dots = new Map<number, Entry>();
  readonly generations: DeltaGenerations;
  pendingSnapshot: PendingSnapshot | undefined;
  /**
   * Highest counter a snapshot chunk added above the context (0: none). Only such adds can be
   * stored before the context covers them, so only adds at or below it need an existence check;
   * it outlives the snapshot (an abandoned transfer's entries stay until a delta covers them).
   */
  snapshotAddedUpTo = 0;

  constructor(
    readonly ref: ReplicaRef,
    maxDeltaSizes: readonly number[],
  ) {
    this.key = replicaKey(ref);
    this.tag = replicaTag(ref);
    this.generations = new DeltaGenerations(ref, 0, maxDeltaSizes);
  }
}
