/**
 * A token bucket: `burst` tokens at most, refilled at `perSecond`. One per connection limits
 * `presence:update` floods without a timer: tokens are refilled lazily from the clock.
 */

export interface RateLimitOptions {
  /** Sustained updates per second per connection. @default 10 */
  readonly perSecond?: number;
  /** Updates allowed in a burst. @default 20 */
  readonly burst?: number;
}

export const DEFAULT_RATE_LIMIT = Object.freeze({ perSecond: 10, burst: 20 });

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one; `now` in milliseconds. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
