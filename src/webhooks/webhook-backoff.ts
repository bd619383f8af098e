/**
 * Delay before the next try of a webhook: exponential with full jitter (a uniform pick between 0
 * and the doubling bound), so receivers coming back from an outage are not hit by every node's
 * retries at the same instants.
 */

export const WEBHOOK_BACKOFF = Object.freeze({ baseMs: 500, capMs: 30_000 });

/** Delay after failed try number `attempt` (1-based). `random` returns [0, 1). */
export function webhookRetryDelay(attempt: number, random: () => number): number {
  const bound = Math.min(WEBHOOK_BACKOFF.capMs, WEBHOOK_BACKOFF.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * bound);
}

/** A Retry-After header in seconds (the date form is ignored), capped; undefined when absent. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d{1,9}$/.test(header.trim())) return undefined;
  return Math.min(WEBHOOK_BACKOFF.capMs, Number(header.trim()) * 1000);
}
