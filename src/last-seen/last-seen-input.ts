/**
 * The arguments every last-seen adapter checks before touching its store, with the same coded
 * errors and messages whichever adapter it is.
 */

import type { UserId } from '../domain/user-id.js';
import { userIdProblem } from '../domain/user-id.js';
import { InvalidInputError } from '../errors.js';
import { type LastSeenVisibility, MAX_LAST_SEEN_BATCH } from '../ports/last-seen-store.js';

const VISIBILITIES: readonly string[] = ['friends', 'nobody'] satisfies LastSeenVisibility[];

export function isLastSeenVisibility(value: unknown): value is LastSeenVisibility {
  return typeof value === 'string' && VISIBILITIES.includes(value);
}

/**
 * NUL: PostgreSQL text cannot hold it, so an id with one is a user id elsewhere but never stored
 * here. (A lone surrogate is no user id at all: src/domain/user-id.ts refuses it.)
 */
const UNSTORABLE = /\0/;

export function isStorableUserId(user: UserId): boolean {
  return !UNSTORABLE.test(user);
}

/** For writes: a user id the stores can keep apart from every other. */
export function assertLastSeenUser(value: unknown, where: string): asserts value is UserId {
  const problem = userIdProblem(value);
  if (problem !== undefined) throw new InvalidInputError(`${where}: ${problem}`);
  if (!isStorableUserId(value as UserId)) {
    throw new InvalidInputError(
      `${where}: a user id with NUL has no last seen (PostgreSQL text cannot hold it)`,
    );
  }
}

export function assertLastSeenAt(value: unknown, where: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(
      `${where}: at must be milliseconds since the epoch, a non-negative safe integer (e.g. Date.now()), got ${describe(value)}`,
    );
  }
}

export function assertLastSeenVisibility(
  value: unknown,
  where: string,
): asserts value is LastSeenVisibility {
  if (!isLastSeenVisibility(value)) {
    throw new InvalidInputError(
      `${where}: visibility must be 'friends' or 'nobody', got ${describe(value)}`,
    );
  }
}

/**
 * Checks the batch and returns the users to look up: without duplicates, in the order given, and
 * without ids no store can hold (they have nothing stored, so one of them in a list of friends
 * does not fail the others).
 */
export function checkLastSeenBatch(users: unknown, where: string): UserId[] {
  if (!Array.isArray(users)) {
    throw new InvalidInputError(`${where}: users must be an array of user ids`);
  }
  if (users.length > MAX_LAST_SEEN_BATCH) {
    throw new InvalidInputError(
      `${where}: at most ${MAX_LAST_SEEN_BATCH} users per call, got ${users.length}; split the batch`,
    );
  }
  for (const user of users) {
    const problem = userIdProblem(user);
    if (problem !== undefined) throw new InvalidInputError(`${where}: ${problem}`);
  }
  return [...new Set(users as UserId[])].filter(isStorableUserId);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : typeof value;
}
