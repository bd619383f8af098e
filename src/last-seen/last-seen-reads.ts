/**
 * Reads of the last-seen store as presence needs them: many small asks (one per connection's
 * offline friends, one per friend going offline) coalesced into few store calls, since a
 * reconnect storm asks for the same friends thousands of times at once. One batch is in flight at
 * a time; asks made meanwhile wait for the next one. A store that fails or is slow answers
 * "unknown" (an empty map): presence never waits on it longer than the store's own timeout.
 */

import type { UserId } from '../domain/user-id.js';
import {
  DEFAULT_LAST_SEEN_VISIBILITY,
  type LastSeenRecord,
  type LastSeenStore,
} from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import { RateLimitedLog } from '../ports/rate-limited-log.js';

/** The store's limit per call. */
const MAX_USERS_PER_GET = 1_000;

export type LastSeenAnswer = ReadonlyMap<UserId, LastSeenRecord>;

interface Ask {
  readonly users: readonly UserId[];
  readonly resolve: (answer: LastSeenAnswer | undefined) => void;
}

export interface LastSeenReadStats {
  /** Calls to the store's `get`. */
  gets: number;
  /** Calls that failed: their asks were answered "unknown". */
  failures: number;
}

export class LastSeenReads {
  readonly stats: LastSeenReadStats = { gets: 0, failures: 0 };
  private waiting: Ask[] = [];
  private inFlight = false;
  private readonly log: RateLimitedLog;

  constructor(
    private readonly store: LastSeenStore,
    logger: Logger,
  ) {
    this.log = new RateLimitedLog(logger);
  }

  /**
   * The records of `users` that have one; undefined when the store did not answer (unknown: not
   * even who hides their last seen). Never rejects.
   */
  read(users: readonly UserId[]): Promise<LastSeenAnswer | undefined> {
    if (users.length === 0) return Promise.resolve(new Map());
    return new Promise((resolve) => {
      this.waiting.push({ users, resolve });
      if (!this.inFlight) {
        this.inFlight = true;
        // Let this turn's other asks join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const asks = this.waiting;
      this.waiting = [];
      const wanted = new Set<UserId>();
      for (const ask of asks) for (const user of ask.users) wanted.add(user);
      const found = await this.getAll([...wanted]);
      for (const ask of asks) {
        if (found === undefined) {
          ask.resolve(undefined);
          continue;
        }
        const answer = new Map<UserId, LastSeenRecord>();
        for (const user of ask.users) {
          const record = found.get(user);
          if (record !== undefined) answer.set(user, record);
        }
        ask.resolve(answer);
      }
    }
    this.inFlight = false;
  }

  private async getAll(users: readonly UserId[]): Promise<Map<UserId, LastSeenRecord> | undefined> {
    const chunks: UserId[][] = [];
    for (let at = 0; at < users.length; at += MAX_USERS_PER_GET) {
      chunks.push(users.slice(at, at + MAX_USERS_PER_GET));
    }
    const found = new Map<UserId, LastSeenRecord>();
    let failed = false;
    await Promise.all(
      chunks.map(async (chunk) => {
        this.stats.gets++;
        try {
          for (const [user, record] of await this.store.get(chunk)) found.set(user, record);
        } catch (err) {
          this.stats.failures++;
          failed = true;
          this.log.warn('last_seen_read', { err }, 'last-seen store read failed: answered unknown');
        }
      }),
    );
    return failed ? undefined : found;
  }
}

/** What a viewer who may see the user at all sees of their last seen (`answer`: the store's). */
export function visibleLastSeen(answer: LastSeenAnswer | undefined, user: UserId): number | null {
  const record = answer?.get(user);
  return record?.visibility === 'friends' ? record.lastSeen : null;
}

/** Whether the user lets friends see their last seen; unknown (no answer) is no, privacy first. */
export function showsLastSeen(answer: LastSeenAnswer | undefined, user: UserId): boolean {
  if (answer === undefined) return false;
  return (answer.get(user)?.visibility ?? DEFAULT_LAST_SEEN_VISIBILITY) === 'friends';
}
