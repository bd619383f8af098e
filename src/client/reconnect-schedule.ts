/**
 * When to connect again: the one place the SDK (and the load workers, load/clients/connections.ts)
 * schedule a reconnect. Full jitter: the n-th try in a row waits a uniformly random time in
 * [0, min(cap, base × 2^(n-1))), so the first comes at a random moment in the first second and a
 * crowd of clients dropped together (a node crash, a deploy) reaches the servers spread out
 * instead of in waves. A refusal's hint (`retryAfterMs` of `overloaded`, `too_many_handshakes`)
 * is a floor: the try waits the hint, then the jitter on top.
 *
 * Why not socket.io-client's own reconnection: its `randomizationFactor` spreads each delay only
 * around the exponential value (never below half of it at the default), so dropped clients still
 * come back in waves, and it does not retry a connection a server middleware refused.
 */

/** The backoff's bounds. */
export interface ReconnectBackoff {
  /** The window of the first try (ms). @default 1000 */
  readonly baseMs: number;
  /** The largest window (ms), reached by doubling. @default 30000 */
  readonly capMs: number;
}

export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = { baseMs: 1_000, capMs: 30_000 };

/**
 * A server hint above this is read as this: the hint is untrusted, and a client must not be
 * parked for hours by one bad value.
 */
export const MAX_RETRY_HINT_MS = 5 * 60_000;

/** The timers the schedule uses (the host's by default; tests pass manual ones). */
export interface ReconnectTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Host timers, unref'd in Node so a pending reconnect never keeps a process up. */
export const hostReconnectTimers: ReconnectTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms) as { unref?: () => void };
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The window of the `attempt`-th try in a row (1-based): base doubling up to the cap. */
export function backoffWindowMs(attempt: number, backoff: ReconnectBackoff): number {
  const doublings = Math.min(Math.max(0, attempt - 1), 52);
  return Math.min(backoff.capMs, backoff.baseMs * 2 ** doublings);
}

/** A server's `retryAfterMs` as a floor in ms: 0 when absent or unreadable, at most the max. */
export function retryHintMs(hint: unknown): number {
  if (typeof hint !== 'number' || !Number.isFinite(hint) || hint <= 0) return 0;
  return Math.min(Math.ceil(hint), MAX_RETRY_HINT_MS);
}

/** A random moment within `windowMs`: a whole number of ms in [0, windowMs). */
export function randomMomentMs(windowMs: number, random: () => number): number {
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(unit * Math.max(0, windowMs));
}

/**
 * The wait before the `attempt`-th try in a row (1-based): the server's hint (if any), plus a
 * random moment in the attempt's window.
 */
export function reconnectDelayMs(
  attempt: number,
  hint: unknown,
  backoff: ReconnectBackoff,
  random: () => number,
): number {
  return retryHintMs(hint) + randomMomentMs(backoffWindowMs(attempt, backoff), random);
}

/**
 * The backoff an app asked for: `reconnectBackoff`, else socket.io's `reconnectionDelay` and
 * `reconnectionDelayMax` read as the bounds (an app tuned for socket.io keeps its bounds, with
 * full jitter), else the defaults.
 */
export function backoffFromOptions(
  backoff: Partial<ReconnectBackoff> | undefined,
  socketOptions: { reconnectionDelay?: number; reconnectionDelayMax?: number } | undefined,
): ReconnectBackoff {
  const baseMs =
    backoff?.baseMs ?? socketOptions?.reconnectionDelay ?? DEFAULT_RECONNECT_BACKOFF.baseMs;
  const capMs =
    backoff?.capMs ??
    socketOptions?.reconnectionDelayMax ??
    Math.max(DEFAULT_RECONNECT_BACKOFF.capMs, baseMs);
  return { baseMs, capMs };
}

/** Checks a backoff from the app's options: whole ms, 0 < base ≤ cap. */
export function reconnectBackoffProblem(backoff: ReconnectBackoff): string | undefined {
  const { baseMs, capMs } = backoff;
  if (!Number.isSafeInteger(baseMs) || baseMs <= 0) {
    return `reconnectBackoff.baseMs (or socketOptions.reconnectionDelay) must be a whole number of milliseconds above 0, got ${String(baseMs)}`;
  }
  if (!Number.isSafeInteger(capMs) || capMs < baseMs) {
    return `reconnectBackoff.capMs (or socketOptions.reconnectionDelayMax) must be a whole number of milliseconds at least baseMs (${baseMs}), got ${String(capMs)}`;
  }
  return undefined;
}

/**
 * The tries in a row and the one pending timer: every way the client comes back (a lost
 * connection, a refusal with a hint, a future drain instruction) goes through here, so a second
 * cause replaces the pending try instead of adding one.
 */
export class ReconnectSchedule {
  #attempts = 0;
  #timer: unknown;
  #pending = false;

  constructor(
    private readonly reconnect: () => void,
    private readonly backoff: ReconnectBackoff = DEFAULT_RECONNECT_BACKOFF,
    private readonly random: () => number = Math.random,
    private readonly timers: ReconnectTimers = hostReconnectTimers,
  ) {}

  /** Tries in a row since the last connect. */
  get attempts(): number {
    return this.#attempts;
  }

  /** A try is pending. */
  get pending(): boolean {
    return this.#pending;
  }

  /**
   * The connection was lost or a try failed (with the server's hint, if it gave one): schedules
   * the next try with full jitter; returns its delay in ms.
   */
  failed(hint?: unknown): number {
    this.#attempts++;
    const delay = reconnectDelayMs(this.#attempts, hint, this.backoff, this.random);
    this.#schedule(delay);
    return delay;
  }

  /**
   * Reconnect within `windowMs` at a random moment (e.g. a server asking its clients to move
   * before it stops). Replaces a pending try; returns the delay in ms.
   */
  within(windowMs: number): number {
    const delay = randomMomentMs(windowMs, this.random);
    this.#schedule(delay);
    return delay;
  }

  /** Connected: the next loss starts from the first window again. */
  reset(): void {
    this.#attempts = 0;
  }

  /** Drops the pending try. */
  cancel(): void {
    if (this.#pending) this.timers.clearTimeout(this.#timer);
    this.#pending = false;
    this.#timer = undefined;
  }

  #schedule(delay: number): void {
    this.cancel();
    this.#pending = true;
    this.#timer = this.timers.setTimeout(() => {
      this.#pending = false;
      this.#timer = undefined;
      this.reconnect();
    }, delay);
  }
}
