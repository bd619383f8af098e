/**
 * The admin token check of admin routes: `Authorization: Bearer <token>`, compared in constant
 * time (both sides hashed first, so the comparison leaks neither content nor length).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Shortest admin token the node accepts: a guessable token would open delivery to anyone. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** A checker bound to the configured token. */
export function adminTokenChecker(token: string): (req: IncomingMessage) => boolean {
  const expected = digest(token);
  return (req) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    return match !== null && timingSafeEqual(digest(match[1] ?? ''), expected);
  };
}
