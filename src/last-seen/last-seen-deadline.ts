/** Bounds each store call, so an outage rejects quickly and callers fall back to "unknown". */

import { LastSeenStoreError } from '../errors.js';
import { raceDeadline } from '../ports/deadline.js';

export const DEFAULT_LAST_SEEN_TIMEOUT_MS = 2_000;

export function withLastSeenDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return raceDeadline(
    work,
    timeoutMs,
    () =>
      new LastSeenStoreError(
        'PRESENCE_LAST_SEEN_TIMEOUT',
        `${what} took longer than ${timeoutMs} ms`,
      ),
  );
}

export function closedStoreError(store: string, method: string): LastSeenStoreError {
  return new LastSeenStoreError(
    'PRESENCE_LAST_SEEN_CLOSED',
    `${store}.${method}: the store is closed`,
  );
}
