/** Exponential backoff with jitter for retrying a failed graph lookup of one connection. */

export interface GraphRetryOptions {
  /** Delay before the first retry. @default 250 (ms) */
  readonly initialDelayMs?: number;
  /** Longest delay between retries. @default 30000 (ms) */
  readonly maxDelayMs?: number;
  /**
   * Failed lookups in a row before the connection is disconnected (the client reconnects and
   * starts over). @default Infinity: retry for as long as the connection lives
   */
  readonly maxAttempts?: number;
}

export const DEFAULT_GRAPH_RETRY = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/** Delay before retry number `attempt` (1-based): doubling, capped, with ±25 % jitter. */
export function backoffDelay(
  attempt: number,
  options: Required<GraphRetryOptions>,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (attempt - 1));
  return Math.max(1, Math.round(base * (0.75 + random() * 0.5)));
}
