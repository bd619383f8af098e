/**
 * Bounds how long a friends-graph call may take, turning a hang into a typed timeout. Used by the
 * adapters (waiting on their store) and by the gateway (waiting on any adapter).
 */
import { GraphProviderError } from '../errors.js';

export function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new GraphProviderError(
          'PRESENCE_GRAPH_TIMEOUT',
          `${what} took longer than ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    timer.unref();
  });
  // The losing promise may still reject later; swallow that so it never becomes unhandled.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
