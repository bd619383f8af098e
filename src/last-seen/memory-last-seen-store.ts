/**
 * Last seen in this process's memory: for one node alone (the default without --redis) and tests.
 * Gone at restart, and each node of a cluster would hold its own: clusters use Redis or PostgreSQL.
 * Nobody else writes this map, so it needs no MACs; times are bounded by now plus the clock skew
 * as in every store (last-seen-clock.ts).
 */
import type { UserId } from '../domain/user-id.js';
import {
  DEFAULT_LAST_SEEN_VISIBILITY,
  type LastSeenRecord,
  type LastSeenStore,
  type LastSeenVisibility,
} from '../ports/last-seen-store.js';
import { LastSeenClock, type LastSeenClockOptions } from './last-seen-clock.js';
import { closedStoreError } from './last-seen-deadline.js';
import {
  assertLastSeenAt,
  assertLastSeenUser,
  assertLastSeenVisibility,
  checkLastSeenBatch,
} from './last-seen-input.js';

const NAME = 'MemoryLastSeenStore';

export class MemoryLastSeenStore implements LastSeenStore {
  readonly #records = new Map<UserId, LastSeenRecord>();
  readonly #clock: LastSeenClock;
  #closed = false;

  constructor(options: LastSeenClockOptions = {}) {
    this.#clock = new LastSeenClock(options, NAME);
  }

  async record(user: UserId, at: number): Promise<void> {
    this.#checkOpen('record');
    assertLastSeenUser(user, `${NAME}.record`);
    assertLastSeenAt(at, `${NAME}.record`);
    at = this.#clock.clamp(at);
    const stored = this.#records.get(user);
    if (stored?.lastSeen != null && stored.lastSeen >= at) return;
    this.#records.set(user, {
      lastSeen: at,
      visibility: stored?.visibility ?? DEFAULT_LAST_SEEN_VISIBILITY,
    });
  }

  async setVisibility(user: UserId, visibility: LastSeenVisibility): Promise<void> {
    this.#checkOpen('setVisibility');
    assertLastSeenUser(user, `${NAME}.setVisibility`);
    assertLastSeenVisibility(visibility, `${NAME}.setVisibility`);
    this.#records.set(user, { lastSeen: this.#records.get(user)?.lastSeen ?? null, visibility });
  }

  async get(users: readonly UserId[]): Promise<ReadonlyMap<UserId, LastSeenRecord>> {
    this.#checkOpen('get');
    const found = new Map<UserId, LastSeenRecord>();
    for (const user of checkLastSeenBatch(users, `${NAME}.get`)) {
      const record = this.#records.get(user);
      if (record !== undefined) found.set(user, record);
    }
    return found;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(method: string): void {
    if (this.#closed) throw closedStoreError(NAME, method);
  }
}
