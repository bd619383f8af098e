/**
 * What the client knows of users' last seen, and the `offline(userId, lastSeen)` event that
 * carries it. The server sends a friend's last seen (`presence_last_seen`) right around their last
 * leave, from its store, so it may come just before the leave's diff or just after: a last leave
 * waits up to `waitMs` for it (an offline with null after that: hidden or unknown). A value heard
 * while the user is still visible is kept for their leave; a join forgets it (it would be stale).
 */
import type { LastSeenMap } from '../domain/client-protocol.js';
import type { IdleClock } from './idle-away.js';

export const DEFAULT_LAST_SEEN_WAIT_MS = 2_000;

export interface LastSeenSink {
  /** A user's last visible device went; `lastSeen` is the server's value, or null. */
  offline(userId: string, lastSeen: number | null): void;
  /** The server told a user's last seen (null: hidden or unknown). */
  heard(userId: string, lastSeen: number | null): void;
}

export function isLastSeenMap(payload: unknown): payload is LastSeenMap {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
  for (const value of Object.values(payload)) {
    if (value !== null && !(typeof value === 'number' && Number.isFinite(value))) return false;
  }
  return true;
}

export class LastSeenBook {
  readonly #known = new Map<string, number | null>();
  readonly #waiting = new Map<string, unknown>();

  constructor(
    private readonly waitMs: number,
    private readonly timers: Pick<IdleClock, 'setTimeout' | 'clearTimeout'>,
    private readonly sink: LastSeenSink,
  ) {}

  /** The last seen the server sent for `userId`: undefined when it sent none. */
  of(userId: string): number | null | undefined {
    return this.#known.get(userId);
  }

  /** A `presence_last_seen` arrived (checked with isLastSeenMap). */
  heard(lastSeen: LastSeenMap): void {
    for (const [userId, value] of Object.entries(lastSeen)) {
      this.#known.set(userId, value);
      this.sink.heard(userId, value);
      if (this.#waiting.has(userId)) this.#settle(userId, value);
    }
  }

  /** The user's last visible device left: offline now if the value is here, else soon. */
  lastLeave(userId: string): void {
    const known = this.#known.get(userId);
    if (known !== undefined) {
      this.sink.offline(userId, known);
      return;
    }
    this.#waiting.set(
      userId,
      this.timers.setTimeout(() => this.#settle(userId, null), this.waitMs),
    );
  }

  /** The user is visible again: an offline still waiting goes first, then what is known is stale. */
  firstJoin(userId: string): void {
    if (this.#waiting.has(userId)) this.#settle(userId, null);
    this.#known.delete(userId);
  }

  /** Stops the waits without their offline events (the client is closing). */
  clear(): void {
    for (const timer of this.#waiting.values()) this.timers.clearTimeout(timer);
    this.#waiting.clear();
  }

  #settle(userId: string, value: number | null): void {
    const timer = this.#waiting.get(userId);
    if (timer === undefined) return;
    this.#waiting.delete(userId);
    this.timers.clearTimeout(timer);
    this.sink.offline(userId, value);
  }
}
