/**
 * Bounds how long an awaited call to a store may take: a hang becomes the caller's typed timeout
 * error (graph-deadline.ts for the friends graph, src/last-seen/ for last seen).
 */
export function raceDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  timeoutError: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), timeoutMs);
    timer.unref();
  });
  // The losing promise may still reject later; swallow that so it never becomes unhandled.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
