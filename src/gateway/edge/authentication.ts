/**
 * Authentication of a connection, in socket.io middleware: either a JWT (HS256, verified with
 * jose; `sub` is the user id; `exp`, `nbf`, `iat`, `aud` and `iss` checked by the JwtPolicy) from
 * `handshake.auth.token`, or an app-supplied `authenticate(handshake)`. Any failure refuses the
 * connection with the error message `unauthorized` (the client's `connect_error`), and nothing
 * about why goes to the client; the reason is logged at debug level.
 */
import { webcrypto } from 'node:crypto';
import { type JWTVerifyOptions, errors as joseErrors, jwtVerify } from 'jose';
import type { Socket } from 'socket.io';
import type { UserId } from '../../domain/user-id.js';
import { userIdProblem } from '../../domain/user-id.js';
import { InvalidOptionError } from '../../errors.js';
import { systemWallClock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import {
  JWT_CLOCK_TOLERANCE_S,
  type JwtPolicy,
  lifetimeProblem,
  resolveJwtPolicy,
} from './jwt-policy.js';

/** The socket.io handshake an app's authenticate function receives. */
export type Handshake = Socket['handshake'];

/** Who a connection belongs to. */
export interface AuthenticatedUser {
  readonly userId: UserId;
  /** When the credentials expire (ms since the epoch): the connection is closed then. */
  readonly expiresAt?: number;
}

/**
 * An app's own authentication. Resolve the user, or `null`/`undefined` (or throw) to refuse the
 * connection with `unauthorized`.
 */
export type Authenticate = (
  handshake: Handshake,
) => AuthenticatedUser | null | undefined | Promise<AuthenticatedUser | null | undefined>;

/**
 * Shortest HS256 secret: the hash's output size (RFC 7518, 3.2). A shorter one can be brute-forced
 * offline from any one token, and then anyone can sign in as anyone.
 */
export const MIN_JWT_SECRET_BYTES = 32;

export class Unauthorized extends Error {}

/**
 * An authenticate function that verifies `handshake.auth.token` as an HS256 JWT under `policy`.
 * Throws an InvalidOptionError for a secret shorter than MIN_JWT_SECRET_BYTES or a bad policy.
 */
export function jwtAuthenticate(
  secret: string | Uint8Array,
  policy?: JwtPolicy,
  now: () => number = systemWallClock.now,
): Authenticate {
  const raw = jwtSecretBytes(secret);
  const rules = resolveJwtPolicy(policy);
  const verifyOptions: JWTVerifyOptions = {
    algorithms: ['HS256'],
    clockTolerance: JWT_CLOCK_TOLERANCE_S,
    ...(rules.requireExp ? { requiredClaims: ['exp'] } : {}),
    ...(rules.audience ? { audience: [...rules.audience] } : {}),
    ...(rules.issuer ? { issuer: [...rules.issuer] } : {}),
  };
  // Imported once: given raw bytes, jose imports the key again on every verification, which
  // cost more than the verification itself (load/connect-cost-bench.ts).
  let key: Promise<webcrypto.CryptoKey> | undefined;
  const importKey = () =>
    webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return async (handshake) => {
    const auth = handshake.auth as Record<string, unknown> | undefined;
    const token = auth?.['token'];
    if (typeof token !== 'string' || token.length === 0) throw new Unauthorized('no token');
    try {
      key ??= importKey();
      const currentDate = new Date(now());
      const { payload } = await jwtVerify(token, await key, { ...verifyOptions, currentDate });
      const problem = lifetimeProblem(payload, rules, Math.floor(currentDate.getTime() / 1000));
      if (problem !== undefined) throw new Unauthorized(problem);
      const user: AuthenticatedUser = { userId: payload.sub as string };
      return typeof payload.exp === 'number' ? { ...user, expiresAt: payload.exp * 1000 } : user;
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      const reason = error instanceof joseErrors.JOSEError ? error.code : 'invalid token';
      throw new Unauthorized(reason, { cause: error });
    }
  };
}

/** The secret's bytes (a string as UTF-8), or an InvalidOptionError if it is too short. */
export function jwtSecretBytes(secret: unknown): Uint8Array {
  const raw =
    typeof secret === 'string'
      ? new TextEncoder().encode(secret)
      : secret instanceof Uint8Array
        ? secret.slice()
        : undefined;
  if (raw === undefined || raw.byteLength < MIN_JWT_SECRET_BYTES) {
    throw new InvalidOptionError(
      `jwtSecret must be a string or Uint8Array of at least ${MIN_JWT_SECRET_BYTES} bytes (a string counts as UTF-8), got ${raw === undefined ? typeof secret : `${raw.byteLength} bytes`}; use a long random value, e.g. from openssl rand -base64 48`,
    );
  }
  return raw;
}

/** Runs `authenticate` and returns the user, or throws Unauthorized. */
export async function authenticateHandshake(
  authenticate: Authenticate,
  handshake: Handshake,
  logger: Logger,
): Promise<AuthenticatedUser> {
  let user: AuthenticatedUser | null | undefined;
  try {
    user = await authenticate(handshake);
  } catch (error) {
    logger.debug(
      {
        reason: error instanceof Error ? error.message : String(error),
        address: handshake.address,
      },
      'connection refused: unauthorized',
    );
    throw new Unauthorized('unauthorized', { cause: error });
  }
  const problem = user ? userIdProblem(user.userId) : 'authenticate() returned no user';
  if (!user || problem !== undefined) {
    logger.debug({ address: handshake.address, problem }, 'connection refused: no valid user id');
    throw new Unauthorized('unauthorized');
  }
  const { expiresAt } = user;
  return Number.isFinite(expiresAt) ? { userId: user.userId, expiresAt } : { userId: user.userId };
}
