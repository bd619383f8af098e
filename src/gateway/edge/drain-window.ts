/**
 * The gateway's drain (PROTOCOL.md, "Drain"): once begun, new handshakes are refused with
 * `draining` and a retry hint, and every client is told to move within what is left of the window.
 * Times are the gateway's `now()` (ms).
 */
import { DRAINING, type OverloadedData } from '../../domain/client-protocol.js';

export class DrainWindow {
  /** When the window ends; undefined until the drain begins. */
  #until: number | undefined;
  #refused = 0;

  constructor(private readonly now: () => number) {}

  get isDraining(): boolean {
    return this.#until !== undefined;
  }

  /** Handshakes refused with `draining` since start. */
  get refused(): number {
    return this.#refused;
  }

  /** Begins the drain; false when it had begun already (the window is not moved). */
  begin(withinMs: number): boolean {
    if (this.#until !== undefined) return false;
    this.#until = this.now() + Math.max(0, Math.round(withinMs));
    return true;
  }

  /** The `presence_drain` payload: what is left of the window. */
  instruction(): { withinMs: number } {
    return { withinMs: Math.max(0, (this.#until ?? this.now()) - this.now()) };
  }

  /** The `draining` refusal, with `retryAfterMs`: the retry goes through the balancer elsewhere. */
  refusal(retryAfterMs: number): Error {
    this.#refused++;
    const refusal = new Error(DRAINING) as Error & { data?: OverloadedData };
    refusal.data = { retryAfterMs };
    return refusal;
  }
}
