/**
 * How long a socket's owed diffs may wait to be merged into one message: nothing while the node
 * keeps up, stretching with a storm up to `maxBatchDelayMs` (seconds: src/options/timing.ts).
 *
 * Each socket write costs a syscall however small the message, so while the node cannot keep up
 * merging a socket's diffs saves most of the fan-out's CPU; while it keeps up a window only adds
 * latency, so a change then goes out at the end of the turn that made it (diff-outboxes.ts).
 *
 * "Behind" is read from what the sockets suffer, every look (`LOOK_EVERY_MS`):
 * - lateness: how long past its due time an outbox was written, or still waits (the drain ran out
 *   of its slices, or the event loop was held): `LATE_MS` or more is late;
 * - saturation: writing took at least `SATURATED_SHARE` of the time since the last look and a
 *   drain ran out of its slice with outboxes due still waiting (the sockets wait little only
 *   because the loop does nothing else: handshakes and heartbeats starve);
 * - write pressure: at least half of the outboxes that came due (and `MIN_PRESSURE_SAMPLE` of
 *   them) found their socket's transport still busy with its last write.
 * Lateness and saturation count only while the node's own work took at least `BUSY_CPU_SHARE` of
 * a core over the look (its CPU time): a node that is late while mostly idle is starved by its
 * host or paused, and merging its writes would not make it earlier.
 * The node is behind when it was late or saturated at this look and the one before (a single
 * stall or burst is not a storm), or under write pressure. Then the window doubles, from
 * `MIN_WINDOW_MS` up to `maxBatchDelayMs` (10 ms to 2.56 s in 8 looks). At a look that is not late it shrinks by a
 * quarter, to 0 below `MIN_WINDOW_MS`: back from 3 s to 0 in 4 s of calm. Late once: it
 * holds. It never goes below `minMs` (an app that always trades that much latency for fewer
 * writes).
 *
 * The event loop's utilisation is not a signal: a loop that is busy but keeps up needs no window,
 * and on a shared host it reads the neighbours' load (what made changes wait 270 ms at p50 at
 * 200 updates/s, where plain socket.io took 3.5 ms).
 */
import { PRESENCE_OPTIONS } from '../../options/index.js';

/** How often the window looks at the signals. */
export const LOOK_EVERY_MS = 200;
/** An outbox written this long past its due time, or waiting that long, is late. */
export const LATE_MS = 50;
/** The smallest non-zero window. */
export const MIN_WINDOW_MS = 10;
/** What is left of the window after a look that was not late. */
export const SHRINK = 0.75;
/** The share of a look spent writing diffs that, with work left over, is saturation. */
export const SATURATED_SHARE = 0.5;
/**
 * The share of a core the node's own work must take for lateness and saturation to count: nearly
 * all of one (a Node process runs on one), so a node late because its host is busy does not count.
 */
export const BUSY_CPU_SHARE = 0.8;
/** Outboxes due in a look before write pressure counts. */
export const MIN_PRESSURE_SAMPLE = 16;
/** The default upper bound of the window with the default broadcast period (`maxBatchDelayMs`). */
export const DEFAULT_MAX_BATCH_DELAY_MS = PRESENCE_OPTIONS.options.maxBatchDelayMs.default;

/** What the outboxes measured since the last look. */
export interface WindowSignals {
  /** The longest an outbox was written past its due time, or still waits past it, ms. */
  readonly lateMs: number;
  /** Outboxes that came due. */
  readonly due: number;
  /** Of those, how many found their socket's transport still busy. */
  readonly busy: number;
  /** Time spent writing (draining outboxes) since the last look, and the time since it, ms. */
  readonly writingMs: number;
  readonly sinceLookMs: number;
  /** Drains that ran out of their slice with outboxes due still waiting. */
  readonly carried: number;
  /** The node's CPU time since the last look, ms. */
  readonly cpuMs: number;
}

export class BatchWindow {
  #ms: number;
  #wasLate = false;

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

  /** Takes the signals of the look that just ended. */
  observe(signals: WindowSignals): void {
    const saturated =
      signals.carried > 0 && signals.writingMs >= SATURATED_SHARE * signals.sinceLookMs;
    const busy = signals.cpuMs >= BUSY_CPU_SHARE * signals.sinceLookMs;
    const late = busy && (signals.lateMs >= LATE_MS || saturated);
    const pressed = signals.due >= MIN_PRESSURE_SAMPLE && signals.busy * 2 >= signals.due;
    if ((late && this.#wasLate) || pressed) {
      const grown = Math.max(MIN_WINDOW_MS, this.#ms * 2);
      this.#ms = Math.max(this.minMs, Math.min(this.maxMs, grown));
    } else if (!late) {
      const shrunk = this.#ms * SHRINK;
      this.#ms = Math.max(this.minMs, shrunk < MIN_WINDOW_MS ? 0 : Math.round(shrunk));
    }
    this.#wasLate = late;
  }
}
