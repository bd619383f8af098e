/**
 * The demo's HTTP routes (only with --demo): the page, a token for any user id, the demo graph's
 * users for the picker, and a user's friends so the page can list them offline too.
 * Demo tokens let anyone be anyone: never in production.
 */
import type { ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { DEMO_PAGE_HTML } from '../demo/demo-page.js';
import { userIdProblem } from '../domain/user-id.js';
import { sendError, sendJson } from './json-response.js';
import type { RouteHandler } from './route.js';

/** How long a demo token lives (shorter if the node's maximum token age is). */
export const DEMO_TOKEN_TTL_S = 12 * 3_600;

export interface DemoRoutesOptions {
  readonly secret: Uint8Array;
  /** The users offered by the picker. */
  readonly users: () => readonly string[];
  /** Whose presence a user may see (the friends graph). */
  readonly friendsOf: (userId: string) => Promise<readonly string[]>;
  /** What the node's token policy wants in a token: a lifetime it accepts, its aud and iss. */
  readonly tokenClaims?: {
    readonly ttlS?: number;
    readonly audience?: string;
    readonly issuer?: string;
  };
}

export function demoRoutes(options: DemoRoutesOptions): Map<string, RouteHandler> {
  return new Map<string, RouteHandler>([
    [
      '/',
      async (_req, res) => {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(DEMO_PAGE_HTML);
      },
    ],
    [
      '/demo/token',
      async (_req, res, url) => {
        const user = userParameter(res, url);
        if (user === undefined) return;
        const { ttlS = DEMO_TOKEN_TTL_S, audience, issuer } = options.tokenClaims ?? {};
        const jwt = new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(user)
          .setIssuedAt()
          .setExpirationTime(`${Math.min(ttlS, DEMO_TOKEN_TTL_S)}s`);
        if (audience !== undefined) jwt.setAudience(audience);
        if (issuer !== undefined) jwt.setIssuer(issuer);
        sendJson(res, 200, { token: await jwt.sign(options.secret) });
      },
    ],
    ['/demo/users', async (_req, res) => sendJson(res, 200, { users: options.users() })],
    [
      '/demo/friends',
      async (_req, res, url) => {
        const user = userParameter(res, url);
        if (user === undefined) return;
        sendJson(res, 200, { user, friends: await options.friendsOf(user) });
      },
    ],
  ]);
}

function userParameter(res: ServerResponse, url: URL): string | undefined {
  const users = url.searchParams.getAll('user');
  const user = users[0];
  if (users.length !== 1 || user === undefined || user.length === 0) {
    sendError(res, 400, 'bad_request', 'give exactly one user id: ?user=<id>');
    return undefined;
  }
  const problem = userIdProblem(user);
  if (problem !== undefined) {
    sendError(res, 400, 'bad_request', problem);
    return undefined;
  }
  return user;
}
