/**
 * Authentication of a connection, in socket.io middleware: either a JWT (HS256, verified with
 * jose; `sub` is the user id, `exp` and `nbf` honoured) from `handshake.auth.token`, or an
 * app-supplied `authenticate(handshake)`. Any failure refuses the connection with the error
 * message `unauthorized` (the client's `connect_error`), and nothing about why goes to the
 * client; the reason is logged.
 */
import { webcrypto } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { Socket } from 'socket.io';
import type { UserId } from '../ports/friends-graph.js';
import type { Logger } from '../ports/logger.js';

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

/** Longest user id accepted from a token or an authenticate function. */
export const MAX_USER_ID_LENGTH = 256;

export class Unauthorized extends Error {}

export function isValidUserId(value: unknown): value is UserId {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_USER_ID_LENGTH;
}

/** An authenticate function that verifies `handshake.auth.token` as an HS256 JWT. */
export function jwtAuthenticate(secret: string | Uint8Array): Authenticate {
  const raw = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret.slice();
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
      const { payload } = await jwtVerify(token, await key, { algorithms: ['HS256'] });
      const user: AuthenticatedUser = { userId: payload.sub as string };
      return typeof payload.exp === 'number' ? { ...user, expiresAt: payload.exp * 1000 } : user;
    } catch (error) {
      const reason = error instanceof joseErrors.JOSEError ? error.code : 'invalid token';
      throw new Unauthorized(reason, { cause: error });
    }
  };
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
  if (!user || !isValidUserId(user.userId)) {
    logger.debug({ address: handshake.address }, 'connection refused: no valid user id');
    throw new Unauthorized('unauthorized');
  }
  const { expiresAt } = user;
  return Number.isFinite(expiresAt) ? { userId: user.userId, expiresAt } : { userId: user.userId };
}
