/**
 * Values read back from Redis or PostgreSQL are untrusted (another version, the app's own SQL, a
 * hand edit): each is checked, and a user with a bad one is skipped with a (rate-limited) warning.
 * Skipping is the private choice: a bad visibility must never reveal a last seen.
 */

import type { UserId } from '../domain/user-id.js';
import { DEFAULT_LAST_SEEN_VISIBILITY, type LastSeenRecord } from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import { RateLimitedLog } from '../ports/rate-limited-log.js';
import type { LastSeenClock } from './last-seen-clock.js';
import { isLastSeenVisibility } from './last-seen-input.js';
import type { LastSeenSeal } from './last-seen-seal.js';

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

/** A user's values as a store returns them: `null` for what is not stored. */
export interface RawStoredValues {
  readonly at: string | null;
  readonly atMac: string | null;
  readonly visibility: string | null;
  readonly visibilityMac: string | null;
}

/**
 * Turns what a store returned into a record: values that are not valid skip the user (above);
 * with a seal, a last seen whose MAC fails counts as not stored and a visibility whose MAC fails
 * as `nobody` (each counted and logged, rate-limited); a time beyond now plus the clock skew is
 * read as that bound. Undefined: nothing (trustworthy) is stored for the user.
 */
export class StoredRecordReader {
  readonly #seal: LastSeenSeal | undefined;
  readonly #clock: LastSeenClock;
  readonly #badRows: BadRowLog;
  readonly #refusedLog: RateLimitedLog;
  #refused = 0;

  constructor(
    seal: LastSeenSeal | undefined,
    clock: LastSeenClock,
    logger: Logger,
    private readonly store: string,
  ) {
    this.#seal = seal;
    this.#clock = clock;
    this.#badRows = new BadRowLog(logger, store);
    this.#refusedLog = new RateLimitedLog(logger);
  }

  /** Values refused for a missing or wrong MAC, since start. */
  get refused(): number {
    return this.#refused;
  }

  read(user: UserId, raw: RawStoredValues): LastSeenRecord | undefined {
    let { at, visibility } = raw;
    const seal = this.#seal;
    if (seal !== undefined) {
      if (at !== null && !seal.verifies(user, 'at', at, raw.atMac)) {
        this.#refuse(user, 'at');
        at = null;
      }
      if (
        visibility !== null &&
        !seal.verifies(user, 'visibility', visibility, raw.visibilityMac)
      ) {
        this.#refuse(user, 'visibility');
        visibility = 'nobody';
      }
    }
    if (at === null && visibility === null) return undefined;
    const stored = toStoredRecord(at, visibility);
    if (!stored.ok) {
      this.#badRows.skipped(user, stored.reason);
      return undefined;
    }
    const { lastSeen } = stored.record;
    return lastSeen === null
      ? stored.record
      : { ...stored.record, lastSeen: this.#clock.clamp(lastSeen) };
  }

  /** A stored value `get` cannot decode at all (a key of another type): the user is skipped. */
  skipped(user: UserId, reason: string): void {
    this.#badRows.skipped(user, reason);
  }

  #refuse(user: UserId, field: string): void {
    this.#refused++;
    this.#refusedLog.warn(
      'last seen: refused a stored value without a valid MAC',
      { store: this.store, user: user.slice(0, 64), field },
      `${this.store}: refused a stored ${field} whose MAC is missing or wrong (written without the cluster secret, or for another user); it reads as ${field === 'at' ? 'not stored' : 'nobody'}`,
    );
  }
}
