/**
 * Buffered deltas of one replica (Phoenix `DeltaGeneration`), so a replica slightly behind gets a
 * delta rather than the full state.
 *
 * Levels of increasing size (default 100 / 1,000 / 10,000 adds + removes) each hold a window that
 * ends at the newest pushed delta; a larger level reaches further back. A window that would
 * overflow its level restarts from the newest delta, or from empty when even that is too large
 * (a requester behind it gets the full state, which is then no larger).
 */
import {
  type DeltaWindow,
  emptyWindow,
  isEmptyWindow,
  mergeWindows,
  windowSize,
} from './delta-window.js';
import type { ReplicaRef } from './replica-ref.js';

export const DEFAULT_MAX_DELTA_SIZES: readonly number[] = [100, 1_000, 10_000];

export class DeltaGenerations {
  private levels: DeltaWindow[];

  constructor(
    replica: ReplicaRef,
    at: number,
    private readonly maxSizes: readonly number[] = DEFAULT_MAX_DELTA_SIZES,
  ) {
    this.levels = maxSizes.map(() => emptyWindow(replica, at));
  }

  get windows(): readonly DeltaWindow[] {
    return this.levels;
  }

  push(delta: DeltaWindow): void {
    if (isEmptyWindow(delta)) return;
    const size = windowSize(delta);
    this.levels = this.levels.map((level, i) => {
      const max = this.maxSizes[i]!;
      // The sum bounds the merged size; skip the copy when it cannot fit.
      if (windowSize(level) + size <= max) {
        const merged = mergeWindows(level, delta);
        if (merged.ok) return merged.window;
      }
      return size <= max ? delta : emptyWindow(delta.replica, delta.to);
    });
  }

  /** Restarts every level at `at` (after a full-state merge broke the chain of deltas). */
  reset(replica: ReplicaRef, at: number): void {
    this.levels = this.maxSizes.map(() => emptyWindow(replica, at));
  }

  /**
   * The smallest buffered window that brings a receiver at `known` up to date from here: it must
   * start at or before `known` and end after it. Undefined when no level reaches back that far.
   */
  windowFor(known: number): DeltaWindow | undefined {
    return this.levels.find((w) => w.from <= known && w.to > known);
  }
}
