/**
 * Remembers the webhook deliveries already accepted for as long as their signed timestamp still
 * passes the tolerance check, so a captured request is applied at most once. A delivery is known
 * by its signature, which covers the timestamp and the exact body.
 *
 * Memory is bounded: when the guard is full of deliveries still inside the tolerance, a new one
 * is refused (the app retries later) rather than an old one forgotten, which would reopen it to
 * a replay. Only deliveries with a valid signature get here, so only the app can fill it.
 */
export type ReplayAdmission = 'fresh' | 'replay' | 'full';

export interface WebhookReplayGuardOptions {
  /** The signature check's timestamp tolerance: how long a delivery must be remembered. */
  readonly toleranceSeconds: number;
  /** Deliveries remembered at most. */
  readonly maxEntries: number;
}

/** Deliveries remembered at most by default: 333 a second for the whole 300 s tolerance. */
export const DEFAULT_REPLAY_MEMORY = 100_000;

export class WebhookReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #options: WebhookReplayGuardOptions;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(options: WebhookReplayGuardOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records the delivery `key` signed at `timestampSeconds` unless it was seen before ('replay')
   * or there is no room for it ('full').
   */
  admit(key: string, timestampSeconds: number, nowSeconds: number): ReplayAdmission {
    this.#prune(nowSeconds);
    if (this.#seen.has(key)) return 'replay';
    if (this.#seen.size >= this.#options.maxEntries) return 'full';
    this.#seen.set(key, timestampSeconds);
    return 'fresh';
  }

  /** Forgets deliveries whose timestamp the signature check refuses by now; at most once a second. */
  #prune(nowSeconds: number): void {
    if (nowSeconds <= this.#prunedAt) return;
    this.#prunedAt = nowSeconds;
    for (const [key, timestamp] of this.#seen) {
      if (nowSeconds - timestamp > this.#options.toleranceSeconds) this.#seen.delete(key);
    }
  }
}
