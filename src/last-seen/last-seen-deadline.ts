/** Bounds each store call, so an outage rejects quickly and callers fall back to "unknown". */
import { LastSeenStoreError } from '../errors.js';

export const DEFAULT_LAST_SEEN_TIMEOUT_MS = 2_000;

export async function withLastSeenDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new LastSeenStoreError(
          'PRESENCE_LAST_SEEN_TIMEOUT',
          `${what} took longer than ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    timer.unref();
  });
  // The losing promise may still reject later; swallow that so it never becomes unhandled.
  work.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function closedStoreError(store: string, method: string): LastSeenStoreError {
  return new LastSeenStoreError(
    'PRESENCE_LAST_SEEN_CLOSED',
    `${store}.${method}: the store is closed`,
  );
}
