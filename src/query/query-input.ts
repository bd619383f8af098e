/**
 * Checks a presence query's arguments: the user ids (an array of 1 to 1,000 valid ids, the one
 * user-id limit of src/domain/user-id.ts) and the options (`as`, a valid user id). Every refusal
 * is an InvalidQueryError whose `reason` names what to fix; the HTTP route answers it as the code.
 */

import type { UserId } from '../domain/user-id.js';
import { userIdProblem } from '../domain/user-id.js';
import { InvalidInputError } from '../errors.js';

/** Most users one query may ask about: it is answered in one turn of the event loop. */
export const MAX_QUERY_USERS = 1_000;

export type InvalidQueryReason =
  | 'invalid_users'
  | 'too_many_users'
  | 'invalid_user'
  | 'invalid_options'
  | 'unknown_field';

/** A `query` argument is malformed; `reason` says which (code `PRESENCE_INVALID_INPUT`). */
export class InvalidQueryError extends InvalidInputError {
  constructor(
    readonly reason: InvalidQueryReason,
    message: string,
  ) {
    super(`query: ${message}`);
  }
}

export interface QueryOptions {
  /**
   * Answer as this user's client would see it: only users the friends graph lets them see, and
   * never an invisible device but their own. @default the backend's view (visible devices only)
   */
  readonly as?: UserId;
}

export interface CheckedQuery {
  /** The ids asked about, each once, in the order first asked. */
  readonly userIds: readonly UserId[];
  readonly viewer: UserId | undefined;
}

const OPTION_FIELDS: ReadonlySet<string> = new Set(['as']);

export function checkQuery(userIds: unknown, options: unknown): CheckedQuery {
  if (!Array.isArray(userIds)) {
    throw new InvalidQueryError('invalid_users', 'userIds must be an array of user ids');
  }
  if (userIds.length > MAX_QUERY_USERS) {
    throw new InvalidQueryError(
      'too_many_users',
      `${userIds.length} user ids asked; at most ${MAX_QUERY_USERS} per query: split the ids into several queries`,
    );
  }
  const unique = new Set<UserId>();
  for (let i = 0; i < userIds.length; i++) {
    const id: unknown = userIds[i];
    const problem = userIdProblem(id);
    if (problem !== undefined) {
      throw new InvalidQueryError('invalid_user', `userIds[${i}]: ${problem}`);
    }
    unique.add(id as UserId);
  }
  return { userIds: [...unique], viewer: checkViewer(options) };
}

function checkViewer(options: unknown): UserId | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidQueryError('invalid_options', 'options must be an object { as? }');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_FIELDS.has(key)) {
      throw new InvalidQueryError('unknown_field', `unknown option "${key}": the options take as`);
    }
  }
  const viewer = (options as { as?: unknown }).as;
  if (viewer === undefined) return undefined;
  const problem = userIdProblem(viewer);
  if (problem !== undefined) throw new InvalidQueryError('invalid_user', `options.as: ${problem}`);
  return viewer as UserId;
}
