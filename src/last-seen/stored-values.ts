/**
 * Values read back from Redis or PostgreSQL are untrusted (another version, the app's own SQL, a
 * hand edit): each is checked, and a user with a bad one is skipped with a (rate-limited) warning.
 * Skipping is the private choice: a bad visibility must never reveal a last seen.
 */

import type { UserId } from '../domain/user-id.js';
import { DEFAULT_LAST_SEEN_VISIBILITY, type LastSeenRecord } from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import { RateLimitedLog } from '../ports/rate-limited-log.js';
import { isLastSeenVisibility } from './last-seen-input.js';

export type StoredRecord =
  | { readonly ok: true; readonly record: LastSeenRecord }
  | { readonly ok: false; readonly reason: string };

/**
 * `lastSeen`: a decimal string or number of milliseconds, null when not stored.
 * `visibility`: a known visibility, null when not stored.
 */
export function toStoredRecord(lastSeen: unknown, visibility: unknown): StoredRecord {
  const at = lastSeen === null ? null : toMilliseconds(lastSeen);
  if (at === undefined) {
    return { ok: false, reason: `last seen ${preview(lastSeen)} is not a non-negative integer` };
  }
  if (visibility !== null && !isLastSeenVisibility(visibility)) {
    return { ok: false, reason: `visibility ${preview(visibility)} is not 'friends' or 'nobody'` };
  }
  return {
    ok: true,
    record: { lastSeen: at, visibility: visibility ?? DEFAULT_LAST_SEEN_VISIBILITY },
  };
}

function toMilliseconds(value: unknown): number | undefined {
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) value = Number(value);
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Warns about skipped users at most once per 10 s per store, with how many were not logged. */
export class BadRowLog {
  readonly #log: RateLimitedLog;

  constructor(
    logger: Logger,
    private readonly store: string,
  ) {
    this.#log = new RateLimitedLog(logger);
  }

  skipped(user: UserId, reason: string): void {
    this.#log.warn(
      'last seen: bad stored value',
      { store: this.store, user: user.slice(0, 64), problem: reason },
      `${this.store}: skipped a user whose stored last seen is invalid; they read as unknown`,
    );
  }
}
