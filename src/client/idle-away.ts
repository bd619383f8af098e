/**
 * Idle → `away`, and back: the status this connection should show, given the app's status and
 * whether the user has been inactive for `idleAfterMs`.
 *
 * Rules (docs/usage.md, "Idle and away"):
 * - Idleness replaces only the status `online`: an app status like `busy` or `dnd` is left alone
 *   (the user chose it; `away` would also rank above it in the aggregate).
 * - The app's own status always wins: {@link IdleAway.setAppStatus} counts as activity, so an
 *   explicit `setStatus` while away is shown as is, and idleness starts counting again from it.
 * - At most one `show` per transition: activity only stamps a time (no timer work per input
 *   event); the single timer, when it fires early, waits for the rest of the quiet period.
 */
import { AWAY_STATUS, ONLINE_STATUS } from '../domain/presence-status.js';

/** What the tracker needs of time: a clock and one-shot timers (injectable for tests). */
export interface IdleClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Default quiet time before `away`: 5 minutes (Slack's auto-away takes 10). */
export const DEFAULT_IDLE_AFTER_MS = 5 * 60_000;

/** Timers of the host (browser or Node), unref'd in Node so idleness never keeps a process up. */
export const hostIdleClock: IdleClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms) as { unref?: () => void };
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Checks `idleAfterMs`: a whole number of ms, 0 meaning off. */
export function idleAfterMsProblem(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return undefined;
  return `idleAfterMs must be a whole number of milliseconds, 0 to turn idle tracking off, got ${String(value)}`;
}

export class IdleAway {
  readonly #idleAfterMs: number;
  readonly #clock: IdleClock;
  /** Called when the status to show changed because the user went idle or came back. */
  readonly #show: (status: string) => void;
  #appStatus: string;
  #idle = false;
  #lastActivity: number;
  #timer: unknown;
  #running = false;

  constructor(
    idleAfterMs: number,
    appStatus: string,
    clock: IdleClock,
    show: (status: string) => void,
  ) {
    this.#idleAfterMs = idleAfterMs;
    this.#appStatus = appStatus;
    this.#clock = clock;
    this.#show = show;
    this.#lastActivity = clock.now();
  }

  /** The status this connection should show now. */
  get status(): string {
    return this.#idle && this.#appStatus === ONLINE_STATUS ? AWAY_STATUS : this.#appStatus;
  }

  /** True when no activity came for `idleAfterMs` (whether or not that changed the status). */
  get idle(): boolean {
    return this.#idle;
  }

  /** True between {@link start} and {@link stop} (never when idle tracking is off). */
  get running(): boolean {
    return this.#running;
  }

  /** Starts (or restarts) tracking, counting now as activity; nothing is shown. */
  start(): void {
    if (this.#idleAfterMs === 0) return;
    this.#running = true;
    this.#idle = false;
    this.#lastActivity = this.#clock.now();
    this.#schedule(this.#idleAfterMs);
  }

  /** Stops tracking: no timer stays behind. */
  stop(): void {
    this.#running = false;
    this.#cancel();
  }

  /** The user did something. Cheap: called for every input event. */
  activity(): void {
    if (!this.#running) return;
    this.#lastActivity = this.#clock.now();
    if (!this.#idle) {
      if (this.#timer === undefined) this.#schedule(this.#idleAfterMs);
      return;
    }
    const before = this.status;
    this.#idle = false;
    this.#schedule(this.#idleAfterMs);
    if (this.status !== before) this.#show(this.status);
  }

  /** The app set a status itself: it wins, counts as activity and is not shown from here. */
  setAppStatus(status: string): void {
    this.#appStatus = status;
    if (!this.#running) return;
    this.#idle = false;
    this.#lastActivity = this.#clock.now();
    if (this.#timer === undefined) this.#schedule(this.#idleAfterMs);
  }

  #schedule(ms: number): void {
    this.#cancel();
    this.#timer = this.#clock.setTimeout(() => this.#check(), ms);
  }

  #cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const quiet = this.#clock.now() - this.#lastActivity;
    if (quiet < this.#idleAfterMs) {
      this.#schedule(this.#idleAfterMs - quiet);
      return;
    }
    const before = this.status;
    this.#idle = true;
    if (this.status !== before) this.#show(this.status);
  }
}
