/** Checks on user ids at the adapter boundary: any non-empty string up to a sane length. */
import { InvalidInputError } from '../../src/errors.js';

/** Long enough for any real id, short enough for URLs, Redis keys and NOTIFY payloads. */
export const MAX_USER_ID_LENGTH = 1024;

export function assertUserId(value: unknown, where: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_USER_ID_LENGTH) {
    throw new InvalidInputError(
      `${where}: a user id must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters, got ${describe(value)}`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length === 0 ? 'an empty string' : `${value.length} characters`;
  return value === null ? 'null' : typeof value;
}
