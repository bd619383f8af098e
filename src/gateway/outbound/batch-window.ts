/**
 * How long a socket's owed diffs may wait to be merged into one message: nothing at low load,
 * growing with load up to a bound.
 *
 * Each socket write costs a syscall however small the message, so under load merging a socket's
 * diffs saves most of the fan-out's CPU; at low load it only adds latency. The load signal is
 * the node's event-loop utilisation (the share of time the loop was busy) over the last period:
 * above `HIGH` the window doubles (from `MIN_MS`), below `LOW` it halves (to 0 under `MIN_MS`);
 * in between it holds, so it settles where the node keeps up. A turn's diffs are merged even at
 * window 0 (they are flushed after the turn). It never goes below `minMs` (an app that always
 * trades that much latency for fewer writes).
 */
import { PRESENCE_OPTIONS } from '../../options/index.js';

/** Utilisation above which the window grows. */
export const HIGH_UTILIZATION = 0.85;
/** Utilisation below which the window shrinks. */
export const LOW_UTILIZATION = 0.7;
/** The smallest non-zero window. */
export const MIN_WINDOW_MS = 10;
/** The default upper bound of the window (`maxBatchDelayMs`). */
export const DEFAULT_MAX_BATCH_DELAY_MS = PRESENCE_OPTIONS.options.maxBatchDelayMs.default;

export class BatchWindow {
  #ms: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.#ms = minMs;
  }

  /** The current window, in milliseconds. */
  get ms(): number {
    return this.#ms;
  }

  /** Takes the event-loop utilisation (0..1) of the period that just ended. */
  observe(utilization: number): void {
    if (utilization >= HIGH_UTILIZATION) {
      this.#ms = Math.min(this.maxMs, Math.max(MIN_WINDOW_MS, this.#ms * 2));
    } else if (utilization <= LOW_UTILIZATION) {
      const half = this.#ms / 2;
      this.#ms = Math.max(this.minMs, half < MIN_WINDOW_MS ? 0 : half);
    }
  }
}
