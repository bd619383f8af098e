/** Bounds how long an adapter waits on its store, turning a hang into a typed timeout. */
import { GraphProviderError } from '../../src/errors.js';

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
