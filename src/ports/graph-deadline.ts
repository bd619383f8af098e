/**
 * Bounds how long a friends-graph call may take, turning a hang into a typed timeout. Used by the
 * adapters (waiting on their store) and by the gateway (waiting on any adapter).
 */
import { GraphProviderError } from '../errors.js';
import type { Timers } from './clock.js';
import { raceDeadline } from './deadline.js';

export function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  what: string,
  timers?: Timers,
): Promise<T> {
  return raceDeadline(
    work,
    timeoutMs,
    () =>
      new GraphProviderError('PRESENCE_GRAPH_TIMEOUT', `${what} took longer than ${timeoutMs} ms`),
    timers,
  );
}
