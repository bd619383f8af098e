/**
 * The presence query admin routes on a real presence server with real clients: answers (GET and
 * POST, the backend's view and `as` a viewer, ids holding commas, `+` and non-ASCII), the admin
 * token (401 without it), coded 400s naming the fix, 503 when the graph does not answer, and the
 * route on a real CLI node.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../src/http/http-handler.js';
import { createPresenceMetrics } from '../../src/http/metrics.js';
import { presenceQueryRoutes } from '../../src/http/presence-query-route.js';
import { silentLogger } from '../../src/ports/logger.js';
import { killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { SECRET, startTestServer, type TestServer } from '../gateway/support/test-server.js';

const TOKEN = 'admin-token-0123456789';
const OFFLINE = { online: false, status: 'offline', devices: {}, lastSeen: null };
let presence: TestServer | undefined;
let http: Server | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  if (http) await new Promise((resolve) => http!.close(resolve));
  http = undefined;
  await presence?.close();
  presence = undefined;
});
afterAll(() => killAll());

async function serve(options: Parameters<typeof startTestServer>[0] = {}): Promise<string> {
  presence = await startTestServer(options);
  const metrics = createPresenceMetrics({
    replica: presence.server.replica,
    changes: presence.server.changes,
    connections: () => 0,
    transports: [],
  });
  http = createServer(
    createHttpHandler({
      node: 'query-test',
      isReady: () => true,
      replicaCounts: () => ({ up: 0, down: 0 }),
      metrics,
      routes: new Map(presenceQueryRoutes(presence.server.query)),
      adminToken: TOKEN,
      logger: silentLogger,
    }),
  );
  http.on('close', () => metrics.close());
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function get(url: string, token: string | null = TOKEN) {
  const response = await fetch(url, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function post(url: string, body: unknown, token: string | null = TOKEN) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(presence!.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

const ids = (...users: string[]) => users.map(encodeURIComponent).join(',');

describe('GET /admin/presence and POST /admin/presence/query', () => {
  it('answer the backend view and the view as a viewer', async () => {
    const url = await serve();
    await presence!.graph.addEdge('alice', 'carol');
    await open('alice', { kind: 'web' });
    await open('alice', { kind: 'mobile', status: 'away' });
    await open('bob', { invisible: true });
    const alice = {
      online: true,
      status: 'online',
      devices: { web: 'online', mobile: 'away' },
      lastSeen: null,
    };

    const backend = await get(`${url}/admin/presence?users=${ids('alice', 'bob', 'carol')}`);
    expect(backend).toEqual({
      status: 200,
      body: { users: { alice, bob: OFFLINE, carol: OFFLINE } },
    });
    expect((await get(`${url}/admin/presence?users=alice&as=carol`)).body).toEqual({
      users: { alice },
    });
    expect((await get(`${url}/admin/presence?users=alice&as=dave`)).body).toEqual({
      users: { alice: OFFLINE },
    });
    expect((await get(`${url}/admin/presence?as=bob&users=bob`)).body).toEqual({
      users: {
        bob: { online: true, status: 'online', devices: { other: 'online' }, lastSeen: null },
      },
    });
    expect(
      (await post(`${url}/admin/presence/query`, { users: ['alice', 'bob'], as: 'carol' })).body,
    ).toEqual({ users: { alice, bob: OFFLINE } });
  });

  it('take ids holding commas, plus signs, spaces and non-ASCII, each URL-encoded', async () => {
    const url = await serve();
    const odd = ['a,b', 'x+y', 'jo hn', 'zoë', '__proto__'];
    for (const user of odd) await open(user);
    const answer = await get(`${url}/admin/presence?users=${ids(...odd)}`);
    expect(answer.status).toBe(200);
    const users = answer.body['users'] as Record<string, { online: boolean }>;
    expect(Object.keys(users).sort()).toEqual([...odd].sort());
    for (const user of odd)
      expect(Object.getOwnPropertyDescriptor(users, user)?.value.online).toBe(true);
    // A literal `+` is a space, as in any form-encoded query.
    expect(
      Object.keys((await get(`${url}/admin/presence?users=jo+hn`)).body['users'] as object),
    ).toEqual(['jo hn']);
  });

  it('answer 1,000 ids of 256 bytes by POST', async () => {
    const url = await serve();
    const users = Array.from({ length: 1000 }, (_, i) => String(i).padStart(256, 'x'));
    const answer = await post(`${url}/admin/presence/query`, { users });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body['users'] as object)).toHaveLength(1000);
  });

  it('need the admin token', async () => {
    const url = await serve();
    expect((await get(`${url}/admin/presence?users=alice`, null)).status).toBe(401);
    expect((await get(`${url}/admin/presence?users=alice`, 'wrong-token-0123456789')).status).toBe(
      401,
    );
    expect((await post(`${url}/admin/presence/query`, { users: ['alice'] }, null)).status).toBe(
      401,
    );
  });

  const badGets: [string, string, string, RegExp][] = [
    ['no users', '', 'missing_parameter', /give the user ids as \?users=<id>,<id>/],
    ['empty users', 'users=', 'missing_parameter', /at most 1000/],
    [
      '1,001 ids',
      `users=${Array.from({ length: 1001 }, (_, i) => i).join(',')}`,
      'too_many_users',
      /1001 user ids asked; at most 1000 per request: split/,
    ],
    ['an empty id', 'users=alice,,bob', 'invalid_user', /users\[1\]: a user id must not be empty/],
    [
      'an id over 256 bytes',
      `users=${'x'.repeat(257)}`,
      'invalid_user',
      /users\[0\]: a user id must be at most 256 bytes of UTF-8, got 257/,
    ],
    [
      'bad percent-encoding',
      'users=alice,%E0%A4%A',
      'invalid_user',
      /users\[1\]: not valid percent-encoding/,
    ],
    ['an empty viewer', 'users=alice&as=', 'invalid_user', /^as: a user id must not be empty/],
    [
      'an unknown parameter',
      'users=alice&viewer=bob',
      'unknown_field',
      /unknown query parameter "viewer": \/admin\/presence takes users and as/,
    ],
    [
      'users twice',
      'users=alice&users=bob',
      'duplicate_parameter',
      /give users once, its ids comma-separated/,
    ],
  ];
  it.each(badGets)('GET: %s is a 400 naming the fix', async (_, query, code, message) => {
    const url = await serve();
    const answer = await get(`${url}/admin/presence?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body['error']).toMatchObject({ code });
    expect((answer.body['error'] as { message: string }).message).toMatch(message);
  });

  const badPosts: [string, unknown, string, RegExp][] = [
    ['no users', { as: 'bob' }, 'missing_parameter', /give the user ids as \{ "users"/],
    [
      'users not an array',
      { users: 'alice,bob' },
      'invalid_users',
      /^users must be an array of user ids/,
    ],
    [
      '1,001 ids',
      { users: Array.from({ length: 1001 }, (_, i) => `u${i}`) },
      'too_many_users',
      /at most 1000/,
    ],
    [
      'a number as id',
      { users: ['alice', 7] },
      'invalid_user',
      /users\[1\]: a user id must be a string, got number/,
    ],
    [
      'a null viewer',
      { users: ['alice'], as: null },
      'invalid_user',
      /^as: a user id must be a string, got null/,
    ],
    [
      'an unknown field',
      { users: ['alice'], viewer: 'bob' },
      'unknown_field',
      /unknown field "viewer": the body takes users and as/,
    ],
    ['an array body', ['alice'], 'invalid_body', /send a JSON object \{ users, as\? \}/],
  ];
  it.each(badPosts)('POST: %s is a 400 naming the fix', async (_, body, code, message) => {
    const url = await serve();
    const answer = await post(`${url}/admin/presence/query`, body);
    expect(answer.status).toBe(400);
    expect(answer.body['error']).toMatchObject({ code });
    expect((answer.body['error'] as { message: string }).message).toMatch(message);
  });

  it('answer 503 graph_unavailable when `as` needs a graph that does not answer', async () => {
    const url = await serve({
      graphRetry: { maxAttempts: 100 },
      wrapGraph: (graph) => ({
        visibleTo: () => Promise.reject(new Error('graph down')),
        subscribe: (listener) => graph.subscribe(listener),
        close: () => graph.close(),
      }),
    });
    const answer = await get(`${url}/admin/presence?users=bob&as=alice`);
    expect(answer.status).toBe(503);
    expect(answer.body['error']).toEqual({
      code: 'graph_unavailable',
      message: 'the friends graph did not answer: PRESENCE_GRAPH_UNAVAILABLE',
    });
    expect((await get(`${url}/admin/presence?users=bob`)).status).toBe(200);
  });
});

describe('the presence query on a real CLI node', () => {
  it('answers with the admin token, 401 without it', async () => {
    const { run, url } = await startCli(['--port', '0'], {
      PRESENCE_JWT_SECRET: SECRET,
      PRESENCE_ADMIN_TOKEN: TOKEN,
    });
    try {
      const client = await connect(url, 'alice', { kind: 'web', invisible: true });
      clients.push(client);
      await client.ready();
      expect((await get(`${url}/admin/presence?users=alice`, null)).status).toBe(401);
      expect(await get(`${url}/admin/presence?users=alice`)).toEqual({
        status: 200,
        body: { users: { alice: OFFLINE } },
      });
      expect(
        (await post(`${url}/admin/presence/query`, { users: ['alice'], as: 'alice' })).body,
      ).toEqual({
        users: {
          alice: { online: true, status: 'online', devices: { web: 'online' }, lastSeen: null },
        },
      });
    } finally {
      for (const client of clients.splice(0)) client.close();
      expect((await stopCli(run)).code).toBe(0);
    }
  });
});
