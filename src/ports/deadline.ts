import { systemTimers, type Timers } from './clock.js';

/**
 * Bounds how long an awaited call to a store may take: a hang becomes the caller's typed timeout
 * error (graph-deadline.ts for the friends graph, src/last-seen/ for last seen).
 */
export function raceDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  timeoutError: () => Error,
  /** The server's timers; adapters built outside a server use the system's. */
  timers: Timers = systemTimers,
): Promise<T> {
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => reject(timeoutError()), timeoutMs);
  });
  // The losing promise may still reject later; swallow that so it never becomes unhandled.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => timers.clearTimeout(timer));
}
