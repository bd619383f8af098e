/**
 * Times a last-seen store keeps are bounded by now plus a clock skew, on write and on read: a
 * time far in the future (a node with a wrong clock, or a value written straight into the store)
 * would otherwise win every "keep the larger" comparison and freeze the user's last seen.
 */
import { positiveOption } from '../domain/positive-option.js';
import { systemWallClock } from '../ports/clock.js';

/** How far ahead of this node's clock another node's may be. */
export const DEFAULT_LAST_SEEN_CLOCK_SKEW_MS = 60_000;

export interface LastSeenClockOptions {
  /** The wall clock, in ms since the epoch. @default the system's */
  readonly now?: () => number;
  /** The furthest a time may be ahead of `now`, in ms. @default 60000 */
  readonly clockSkewMs?: number;
}

export class LastSeenClock {
  readonly #now: () => number;
  readonly #skewMs: number;

  constructor(options: LastSeenClockOptions, where: string) {
    this.#now = options.now ?? systemWallClock.now;
    this.#skewMs = positiveOption(
      `${where}: clockSkewMs`,
      options.clockSkewMs ?? DEFAULT_LAST_SEEN_CLOCK_SKEW_MS,
    );
  }

  /** The latest time a store keeps right now. */
  ceiling(): number {
    return Math.min(Number.MAX_SAFE_INTEGER, Math.floor(this.#now()) + this.#skewMs);
  }

  clamp(at: number): number {
    return Math.min(at, this.ceiling());
  }
}
