/**
 * Time as a port: the runtime reads the clock and schedules through these, so simulations can
 * drive it with a fake clock and stay deterministic.
 */

export interface Clock {
  /** Milliseconds on a monotonic scale (differences matter, not the origin). */
  now(): number;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
};

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
