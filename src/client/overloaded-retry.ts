/**
 * Connecting again after the server refused with `overloaded`: socket.io does not retry a
 * connection a server middleware refused, so the client does, after the server's hint
 * (`retryAfterMs`), doubling with each refusal in a row up to a cap, jittered so refused clients
 * spread out instead of coming back together.
 */

/** Retries after `overloaded`: from the server's hint (or this) doubling up to the cap. */
const OVERLOADED_RETRY_MS = 1_000;
const OVERLOADED_RETRY_CAP_MS = 30_000;

/**
 * The wait before connecting again after the `attempt`-th `overloaded` in a row: at least the
 * server's hint, doubling with each refusal up to a cap, with ±50 % jitter.
 */
export function overloadedRetryDelay(
  attempt: number,
  hintMs: number | undefined,
  random: () => number = Math.random,
): number {
  const base =
    hintMs !== undefined && Number.isFinite(hintMs) && hintMs > 0 ? hintMs : OVERLOADED_RETRY_MS;
  const grown = Math.min(OVERLOADED_RETRY_CAP_MS, base * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(grown * (0.5 + random())));
}

/** The refusals in a row and the timer of the next try. */
export class OverloadedRetry {
  #refusals = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly reconnect: () => void) {}

  /** A refusal with the server's hint: schedules the next try; returns its delay in ms. */
  refused(hint: unknown): number {
    this.#refusals++;
    const delay = overloadedRetryDelay(this.#refusals, typeof hint === 'number' ? hint : undefined);
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.reconnect();
    }, delay);
    return delay;
  }

  /** Connected: the next refusal starts from the hint again. */
  reset(): void {
    this.#refusals = 0;
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
