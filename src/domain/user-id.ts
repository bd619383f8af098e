/**
 * The one limit on user ids, shared by the gateway (token `sub`), the graph adapters, changes
 * from outside (webhooks, NOTIFY, pub/sub, the graph relay), delivery and the HTTP routes.
 *
 * Measured in UTF-8 bytes, not characters: what a user id costs in a Redis key, a PostgreSQL
 * NOTIFY payload, a URL or a frame is bytes, and a byte count means the same in every language
 * an app's backend is written in (JavaScript's `length` counts UTF-16 code units).
 *
 * And well-formed: a lone surrogate (`"a\ud800"`) has no UTF-8 form (encoding turns it into
 * U+FFFD), so such an id would name one user in this process and another, or none, in Redis,
 * PostgreSQL, a frame or a log; two of them could even share one key.
 */

/**
 * An opaque user id: any non-empty string (`:`, spaces, unicode and `__proto__` included) of at
 * most MAX_USER_ID_BYTES.
 */
export type UserId = string;

/** In `u` mode a pair is one code point: only unpaired surrogates match. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Longest user id, in bytes of UTF-8: 256 ASCII characters, fewer for other scripts. */
export const MAX_USER_ID_BYTES = 256;

/** Why `value` is not a user id (a message naming the rule), or undefined if it is one. */
export function userIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `a user id must be a string, got ${describe(value)}`;
  if (value.length === 0) return 'a user id must not be empty';
  if (LONE_SURROGATE.test(value)) {
    return 'a user id must be well-formed Unicode (it has a lone surrogate, which UTF-8 cannot hold)';
  }
  // Each UTF-16 code unit is at most 3 bytes of UTF-8: short ids need no count.
  if (value.length * 3 <= MAX_USER_ID_BYTES) return undefined;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_USER_ID_BYTES) {
    return `a user id must be at most ${MAX_USER_ID_BYTES} bytes of UTF-8, got ${bytes} bytes`;
  }
  return undefined;
}

export function isValidUserId(value: unknown): value is UserId {
  return userIdProblem(value) === undefined;
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
