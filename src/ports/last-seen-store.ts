/**
 * The last-seen port: when each user was last seen online, and who may see it. Adapters live in
 * src/last-seen/ (memory, Redis, PostgreSQL); the CLI picks one with `--last-seen`.
 */
import type { UserId } from '../domain/user-id.js';

/** Who may see a user's last seen: their friends (the default), or nobody. */
export type LastSeenVisibility = 'friends' | 'nobody';

export interface LastSeenRecord {
  /** Milliseconds since the epoch; null when only a visibility is stored. */
  readonly lastSeen: number | null;
  readonly visibility: LastSeenVisibility;
}

/** The most users one `get` takes. */
export const MAX_LAST_SEEN_BATCH = 1_000;

/** The visibility of a user who has a last seen but never chose one. */
export const DEFAULT_LAST_SEEN_VISIBILITY: LastSeenVisibility = 'friends';

/**
 * Every method rejects with `InvalidInputError` on bad arguments and with `LastSeenStoreError`
 * (`PRESENCE_LAST_SEEN_UNAVAILABLE` / `_TIMEOUT` / `_CLOSED`) when the store cannot answer,
 * quickly (adapters bound every call by a timeout): callers treat the last seen as unknown.
 */
export interface LastSeenStore {
  /**
   * Records that `user` was last seen at `at` (ms since epoch, a non-negative safe integer).
   * Keeps the larger of the stored and the given value: at-least-once, out-of-order writes
   * never move it back.
   */
  record(user: UserId, at: number): Promise<void>;
  /** Sets who may see the user's last seen; kept even before any last seen. */
  setVisibility(user: UserId, visibility: LastSeenVisibility): Promise<void>;
  /**
   * Up to 1,000 users in one round trip; users with nothing stored are absent from the map, and
   * so are users whose stored values are invalid (skipped with a warning). Duplicates are fine.
   */
  get(users: readonly UserId[]): Promise<ReadonlyMap<UserId, LastSeenRecord>>;
  /** Releases what the adapter opened (never injected clients). Idempotent. */
  close(): Promise<void>;
}
