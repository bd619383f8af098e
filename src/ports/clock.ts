/**
 * Time as a port: the runtime reads the clock and schedules through these, so simulations can
 * drive it with a fake clock and stay deterministic.
 *
 * A server has one {@link ServerClock}, given at the composition root (createPresenceServer's
 * `clock`; the CLI gives none: the system's) and handed to every module that reads the time or
 * sets a timer. This file is the only place in the server that touches the process's clocks
 * and timers (test/architecture/clock.test.ts).
 */

export interface Clock {
  /** Milliseconds on a monotonic scale (differences matter, not the origin). */
  now(): number;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The one clock of a server: monotonic time and timers on it, and the wall clock for what leaves
 * the process (`online_at`, token expiry, webhook signatures).
 */
export interface ServerClock extends Clock, Timers {
  /**
   * Milliseconds since the epoch. @default the system's wall clock: tokens and signatures are
   * checked against real time unless a clock says otherwise
   */
  wallNow?(): number;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
};

/** The process's wall clock: milliseconds since the epoch (Date.now). */
export const systemWallClock: Clock = {
  now: () => Date.now(),
};

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The system's clock, timers and wall clock: the default of every server. */
export const systemServerClock: Required<ServerClock> = {
  now: systemClock.now,
  wallNow: systemWallClock.now,
  setTimeout: systemTimers.setTimeout,
  clearTimeout: systemTimers.clearTimeout,
};

/** The wall clock of `clock` as a function (its `wallNow`, else the system's). */
export function wallClockOf(clock: ServerClock): () => number {
  return clock.wallNow === undefined ? systemWallClock.now : () => clock.wallNow!();
}
