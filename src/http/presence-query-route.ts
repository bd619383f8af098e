/**
 * `GET /admin/presence?users=<id>,<id>,...[&as=<viewer>]` (admin token): `presence.query` over
 * HTTP. Each id is URL-encoded on its own and the ids are joined by literal commas, so an id may
 * hold a comma (`%2C`). Answers 200 `{ users: { "<id>": { online, status, devices, lastSeen } } }`;
 * 400 with a coded error naming what to fix (`missing_parameter`, `duplicate_parameter`,
 * `unknown_field`, `too_many_users`, `invalid_user`); 503 `graph_unavailable` when `as` needs the
 * friends graph and it does not answer.
 */
import { GraphProviderError } from '../errors.js';
import type { QueryPresence } from '../query/presence-query.js';
import { InvalidQueryError, MAX_QUERY_USERS } from '../query/query-input.js';
import type { UserPresence } from '../query/user-presence.js';
import { sendJson } from './json-response.js';
import { HttpError } from './read-json-body.js';
import { adminRoute, type Route } from './route.js';

export const PRESENCE_QUERY_PATH = '/admin/presence';
const PARAMETERS: ReadonlySet<string> = new Set(['users', 'as']);
/** How much of an unknown parameter's name an error message repeats. */
const NAME_SHOWN = 64;

export function presenceQueryRoutes(query: QueryPresence): [string, Route][] {
  return [
    [
      PRESENCE_QUERY_PATH,
      adminRoute('GET', async (_req, res, url) => {
        const params = rawParameters(url);
        const users = userIds(params.get('users'));
        const viewer = params.has('as') ? decode(params.get('as') ?? '', 'as') : undefined;
        let answer: Awaited<ReturnType<QueryPresence>>;
        try {
          answer = await query(users, viewer === undefined ? undefined : { as: viewer });
        } catch (error) {
          throw asHttpError(error);
        }
        // No prototype: ids are the caller's (`__proto__` is just an id here).
        const body: Record<string, UserPresence> = Object.create(null);
        for (const [user, presence] of answer) body[user] = presence;
        sendJson(res, 200, { users: body });
      }),
    ],
  ];
}

/** The query's parameters by name, values still percent-encoded (ids are split first). */
function rawParameters(url: URL): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of url.search.slice(1).split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq)) ?? part;
    if (!PARAMETERS.has(name)) {
      const shown = name.length > NAME_SHOWN ? `${name.slice(0, NAME_SHOWN)}…` : name;
      throw new HttpError(
        400,
        'unknown_field',
        `unknown query parameter "${shown}": ${PRESENCE_QUERY_PATH} takes users and as`,
      );
    }
    if (params.has(name)) {
      throw new HttpError(
        400,
        'duplicate_parameter',
        `give ${name} once${name === 'users' ? ', its ids comma-separated' : ''}`,
      );
    }
    params.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  return params;
}

function userIds(raw: string | undefined): string[] {
  if (raw === undefined || raw.length === 0) {
    throw new HttpError(
      400,
      'missing_parameter',
      `give the user ids as ?users=<id>,<id>,... (each URL-encoded, at most ${MAX_QUERY_USERS})`,
    );
  }
  const parts = raw.split(',');
  if (parts.length > MAX_QUERY_USERS) {
    throw new HttpError(
      400,
      'too_many_users',
      `${parts.length} user ids asked; at most ${MAX_QUERY_USERS} per request: split the ids into several requests`,
    );
  }
  return parts.map((part, i) => decode(part, `users[${i}]`));
}

/** A form-encoded value (`+` is a space), or 400 `invalid_user` naming where it is. */
function decode(raw: string, where: string): string {
  const value = safeDecode(raw);
  if (value === undefined) {
    throw new HttpError(
      400,
      'invalid_user',
      `${where}: not valid percent-encoding (URL-encode each id)`,
    );
  }
  return value;
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

function asHttpError(error: unknown): unknown {
  if (error instanceof InvalidQueryError) {
    const message = error.message
      .replace(/^query: /, '')
      .replace(/^userIds\[/, 'users[')
      .replace(/^options\.as/, 'as');
    return new HttpError(400, error.reason, message);
  }
  if (error instanceof GraphProviderError) {
    return new HttpError(
      503,
      'graph_unavailable',
      `the friends graph did not answer: ${error.code}`,
    );
  }
  return error;
}
