/**
 * Admin routes of counts (friends' presence is private, so all of them need the admin token):
 *
 * - `GET /admin/counts` → `{ users, connections }` online cluster-wide
 * - `GET /admin/counts/topic?topic=<topic>` → `{ topic, presences, keys }`
 * - `GET /admin/counts/friends?user=<id>` → `{ user, online, source }` (400 `invalid_user` for an
 *   id the service never accepts, 503 `graph_unavailable` when the graph does not answer)
 * - `GET /admin/counts/room?room=<room>` → `{ room, count }`
 */
import type { PresenceCounts } from '../counts/presence-counts.js';
import { roomNameProblem } from '../counts/room-options.js';
import { userIdProblem } from '../domain/user-id.js';
import { GraphProviderError } from '../errors.js';
import { sendJson } from './json-response.js';
import { HttpError } from './read-json-body.js';
import { adminRoute, type Route } from './route.js';

function requiredParam(url: URL, name: string, what: string): string {
  const value = url.searchParams.get(name);
  if (value === null || value.length === 0) {
    throw new HttpError(400, 'missing_parameter', `give the ${what} as ?${name}=<${name}>`);
  }
  return value;
}

export function countRoutes(counts: PresenceCounts): [string, Route][] {
  return [
    [
      '/admin/counts',
      adminRoute('GET', async (_req, res) => {
        sendJson(res, 200, counts.online());
      }),
    ],
    [
      '/admin/counts/topic',
      adminRoute('GET', async (_req, res, url) => {
        const topic = requiredParam(url, 'topic', 'tracker topic (e.g. user:alice)');
        sendJson(res, 200, { topic, ...counts.topic(topic) });
      }),
    ],
    [
      '/admin/counts/friends',
      adminRoute('GET', async (_req, res, url) => {
        const user = requiredParam(url, 'user', 'user id');
        const problem = userIdProblem(user);
        if (problem !== undefined) throw new HttpError(400, 'invalid_user', problem);
        try {
          sendJson(res, 200, { user, ...(await counts.friendsOnline(user)) });
        } catch (error) {
          if (!(error instanceof GraphProviderError)) throw error;
          throw new HttpError(
            503,
            'graph_unavailable',
            `the friends graph did not answer: ${error.code}`,
          );
        }
      }),
    ],
    [
      '/admin/counts/room',
      adminRoute('GET', async (_req, res, url) => {
        const room = requiredParam(url, 'room', 'room name');
        const problem = roomNameProblem(room);
        if (problem !== undefined) throw new HttpError(400, 'invalid_room', problem);
        sendJson(res, 200, { room, count: counts.room(room) });
      }),
    ],
  ];
}
