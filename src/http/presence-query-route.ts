/**
 * `presence.query` over HTTP (admin token):
 *
 * - `GET /admin/presence?users=<id>,<id>,...[&as=<viewer>]`: each id URL-encoded on its own and
 *   the ids joined by literal commas, so an id may hold a comma (`%2C`).
 * - `POST /admin/presence/query` with `{ "users": [...], "as"?: "<viewer>" }`: the same for ids
 *   that make too long a URL (Node refuses a request line and headers over 16 KiB by default with
 *   431: 1,000 ids of 15 characters fill it). The body is read only after the token check.
 *
 * Both answer 200 `{ users: { "<id>": { online, status, devices, lastSeen } } }`; 400 with a coded
 * error naming what to fix (`missing_parameter`, `duplicate_parameter`, `unknown_field`,
 * `too_many_users`, `invalid_user`, `invalid_users`); 503 `graph_unavailable` when `as` needs the
 * friends graph and it does not answer.
 */
import type { ServerResponse } from 'node:http';
import { MAX_USER_ID_BYTES } from '../domain/user-id.js';
import { GraphProviderError } from '../errors.js';
import type { QueryPresence } from '../query/presence-query.js';
import { InvalidQueryError, MAX_QUERY_USERS } from '../query/query-input.js';
import type { UserPresence } from '../query/user-presence.js';
import { sendJson } from './json-response.js';
import { HttpError, readJsonBody } from './read-json-body.js';
import { adminRoute, type Route } from './route.js';

export const PRESENCE_QUERY_PATH = '/admin/presence';
export const PRESENCE_QUERY_POST_PATH = '/admin/presence/query';
const PARAMETERS: ReadonlySet<string> = new Set(['users', 'as']);
/** 1,000 ids of 256 bytes, every byte escaped as JSON at worst (`\u0001`), and room: 1.5 MiB. */
const MAX_BODY_BYTES = MAX_QUERY_USERS * (6 * MAX_USER_ID_BYTES + 3) + 4096;
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
        await answer(res, query, users, viewer);
      }),
    ],
    [
      PRESENCE_QUERY_POST_PATH,
      adminRoute('POST', async (req, res) => {
        const body = await readJsonBody(req, MAX_BODY_BYTES);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new HttpError(400, 'invalid_body', 'send a JSON object { users, as? }');
        }
        for (const key of Object.keys(body)) {
          if (!PARAMETERS.has(key)) {
            throw new HttpError(
              400,
              'unknown_field',
              `unknown field "${shorten(key)}": the body takes users and as`,
            );
          }
        }
        const { users, as: viewer } = body as { users?: unknown; as?: unknown };
        if (users === undefined) {
          throw new HttpError(
            400,
            'missing_parameter',
            'give the user ids as { "users": [<id>, ...] }',
          );
        }
        await answer(res, query, users, viewer);
      }),
    ],
  ];
}

async function answer(
  res: ServerResponse,
  query: QueryPresence,
  users: unknown,
  viewer: unknown,
): Promise<void> {
  let result: Awaited<ReturnType<QueryPresence>>;
  try {
    const options = viewer === undefined ? undefined : { as: viewer as string };
    result = await query(users as string[], options);
  } catch (error) {
    throw asHttpError(error);
  }
  // No prototype: ids are the caller's (`__proto__` is just an id here).
  const body: Record<string, UserPresence> = Object.create(null);
  for (const [user, presence] of result) body[user] = presence;
  sendJson(res, 200, { users: body });
}

function shorten(name: string): string {
  return name.length > NAME_SHOWN ? `${name.slice(0, NAME_SHOWN)}…` : name;
}

/** The query's parameters by name, values still percent-encoded (ids are split first). */
function rawParameters(url: URL): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of url.search.slice(1).split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq)) ?? part;
    if (!PARAMETERS.has(name)) {
      throw new HttpError(
        400,
        'unknown_field',
        `unknown query parameter "${shorten(name)}": ${PRESENCE_QUERY_PATH} takes users and as`,
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
      .replace(/^userIds\b/, 'users')
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
