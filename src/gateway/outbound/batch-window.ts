/**
 * How long a socket's owed diffs may wait to be merged into one message: nothing while the node
 * keeps up, stretching with a storm up to `maxBatchDelayMs` (1.5 s by default, one broadcast
 * period: a change crossing nodes waits that long anyway).
 *
 * Each socket write costs a syscall however small the message, so while the node is behind
 * merging a socket's diffs saves most of the fan-out's CPU (a socket watching 100 reconnecting
 * friends gets one write per window, not 100); while it keeps up a window only adds latency.
 *
 * "Behind" is read at every look (diff-outboxes.ts, every 200 ms) from three cheap signals:
 * - lateness: how late the look's own timer fired (event-loop lag), or how long past its due
 *   time an outbox was written or still waits, whichever is longest;
 * - the event-loop utilisation of the period;
 * - handshakes waiting for an admission slot (src/gateway/edge/admission.ts).
 * The node is behind when it was `LATE_MS` late with its loop busy (`BUSY_UTILIZATION`: a loop
 * late while mostly idle is paused by its host, and merging would not make it earlier), when its
 * loop is saturated (`SATURATED_UTILIZATION`), or when connects queue for admission: a connect
 * storm keeps the loop full of short turns, its backlog waits in the admission queue, not in the
 * outboxes, and every connect is a join owed to each of its friends' sockets. Behind, the window
 * doubles from `MIN_WINDOW_MS` (10 ms to 1.28 s in 8 looks). Not behind, it halves while the
 * loop is busy (so a storm's window settles where the node keeps up) and is divided by
 * `CALM_SHRINK` when it is not, to 0 below `MIN_WINDOW_MS`: from 1.5 s back to 0 in 4 looks
 * (0.8 s) once the storm is over. Dropping to 0 at once would make a node that keeps up only
 * thanks to its window pay a burst of unmerged writes and climb back from 10 ms.
 *
 * Utilisation alone between the thresholds is not a reason to wait: a busy loop that keeps up
 * needs no window (what made a change wait 270 ms at p50 at 200 updates/s, where plain socket.io
 * took 3.5 ms). It never goes below `minMs` (an app that always trades that much latency for
 * fewer writes) nor above `maxMs`.
 */
import { PRESENCE_OPTIONS } from '../../options/index.js';

/** Event-loop utilisation from which a late loop counts as behind, and a window only halves. */
export const BUSY_UTILIZATION = 0.7;
/** Event-loop utilisation at which the node counts as behind, late or not. */
export const SATURATED_UTILIZATION = 0.95;
/** Lateness (loop lag or an outbox past its due time) that counts as behind, ms. */
export const LATE_MS = 50;
/** What a window is divided by at a look with the loop not busy (by 2 while busy). */
export const CALM_SHRINK = 4;
/** The smallest non-zero window. */
export const MIN_WINDOW_MS = 10;
/** The default upper bound of the window (`maxBatchDelayMs`). */
export const DEFAULT_MAX_BATCH_DELAY_MS = PRESENCE_OPTIONS.options.maxBatchDelayMs.default;

/** What the outboxes saw over the period since the last look. */
export interface WindowSignals {
  /** Share of the period the event loop was busy, 0..1. */
  readonly utilization: number;
  /** The longest lateness seen: the look's timer, or an outbox past its due time, ms. */
  readonly lateMs: number;
  /** Handshakes waiting for an admission slot at the look (src/gateway/edge/admission.ts). */
  readonly handshakesWaiting?: number;
}

export class BatchWindow {
  #ms: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.#ms = Math.min(minMs, maxMs);
  }

  /** The current window, in milliseconds: between `minMs` and `maxMs`. */
  get ms(): number {
    return this.#ms;
  }

  /** Takes the signals of the period that just ended. */
  observe({ utilization, lateMs, handshakesWaiting = 0 }: WindowSignals): void {
    const busy = utilization >= BUSY_UTILIZATION;
    let ms: number;
    if (
      (busy && lateMs >= LATE_MS) ||
      utilization >= SATURATED_UTILIZATION ||
      handshakesWaiting > 0
    ) {
      ms = Math.max(MIN_WINDOW_MS, this.#ms * 2);
    } else {
      const less = this.#ms / (busy ? 2 : CALM_SHRINK);
      ms = less < MIN_WINDOW_MS ? 0 : less;
    }
    this.#ms = Math.min(this.maxMs, Math.max(this.minMs, ms));
  }
}
