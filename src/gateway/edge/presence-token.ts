/**
 * Mints a client token a node accepts (PROTOCOL.md, "Authentication"): HS256, `sub` the user id,
 * `iat`, a required `exp`, and `aud`/`iss` when the node is configured to check them. For
 * backends that hand tokens to their clients, and for `graph-presence token`.
 */
import { SignJWT } from 'jose';
import { userIdProblem } from '../../domain/user-id.js';
import { InvalidOptionError } from '../../errors.js';
import { systemWallClock } from '../../ports/clock.js';
import { jwtSecretBytes } from './authentication.js';
import { DEFAULT_JWT_MAX_AGE_S, MAX_JWT_MAX_AGE_S } from './jwt-policy.js';

export interface PresenceTokenOptions {
  /** The node's JWT secret (`jwtSecret`, PRESENCE_JWT_SECRET): at least 32 bytes. */
  readonly secret: string | Uint8Array;
  /** The user the token signs in: its `sub`. */
  readonly userId: string;
  /**
   * How long the token lives: seconds, or a duration such as `"90s"`, `"15m"`, `"1h"`, `"7d"`.
   * A node refuses tokens that live longer than its `jwtPolicy.maxAgeS` (a day by default).
   * @default "1h"
   */
  readonly ttl?: number | string;
  /** The `aud` claim: the node's `jwtPolicy.audience`, when it checks one. */
  readonly audience?: string;
  /** The `iss` claim: the node's `jwtPolicy.issuer`, when it checks one. */
  readonly issuer?: string;
  /** Now, in ms since the epoch (for `iat` and `exp`). @default Date.now */
  readonly now?: () => number;
}

export const DEFAULT_TOKEN_TTL = '1h';

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/**
 * Signs a token for `userId`. Throws an InvalidOptionError (code PRESENCE_INVALID_OPTION) naming
 * what to change: a short secret, an empty or too long user id, a bad ttl, an empty aud or iss.
 */
export async function createPresenceToken(options: PresenceTokenOptions): Promise<string> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      'createPresenceToken takes { secret, userId, ttl?, audience?, issuer? }',
    );
  }
  const key = jwtSecretBytes(options.secret);
  const userProblem = userIdProblem(options.userId);
  if (userProblem !== undefined) {
    throw new InvalidOptionError(`userId: ${userProblem}`);
  }
  const ttlS = parseTokenTtl(options.ttl ?? DEFAULT_TOKEN_TTL);
  const nowS = Math.floor((options.now ?? systemWallClock.now)() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + ttlS);
  if (options.audience !== undefined) jwt.setAudience(claim('audience', options.audience));
  if (options.issuer !== undefined) jwt.setIssuer(claim('issuer', options.issuer));
  return jwt.sign(key);
}

/** A ttl in seconds, from seconds or `<n>s|m|h|d`; at most a year, as the node's policy. */
export function parseTokenTtl(ttl: number | string): number {
  const match = typeof ttl === 'string' ? /^(\d{1,9})([smhd]?)$/.exec(ttl.trim()) : undefined;
  const seconds =
    typeof ttl === 'number'
      ? ttl
      : match
        ? Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? Number.NaN)
        : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_JWT_MAX_AGE_S) {
    throw new InvalidOptionError(
      `ttl must be seconds or a duration such as 90s, 15m, 1h or 7d, from 1 s to ${MAX_JWT_MAX_AGE_S} s (a year), got ${JSON.stringify(ttl)}; a node refuses tokens living longer than its maximum age (default ${DEFAULT_JWT_MAX_AGE_S} s)`,
    );
  }
  return seconds;
}

function claim(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionError(
      `${name} must be a non-empty string, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
