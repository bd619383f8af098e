/**
 * The count admin routes and gauges on a real presence server: answers, the admin token, coded
 * errors for a missing or bad parameter and for a graph that does not answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { registerCountMetrics } from '../../src/counts/count-metrics.js';
import { countRoutes } from '../../src/http/count-routes.js';
import { createHttpHandler } from '../../src/http/http-handler.js';
import { createPresenceMetrics } from '../../src/http/metrics.js';
import { silentLogger } from '../../src/ports/logger.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';

const TOKEN = 'admin-token-0123456789';
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

async function serve(options: Parameters<typeof startTestServer>[0] = {}): Promise<string> {
  presence = await startTestServer(options);
  const { replica, changes, counts } = presence.server;
  const metrics = createPresenceMetrics({
    replica,
    changes,
    connections: () => 0,
    transports: [],
  });
  registerCountMetrics(metrics.registry, counts);
  http = createServer(
    createHttpHandler({
      node: 'counts-test',
      isReady: () => true,
      replicaCounts: () => ({ up: 0, down: 0 }),
      metrics,
      routes: new Map(countRoutes(counts)),
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

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(presence!.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

describe('count admin routes', () => {
  it('answer online, topic, friends and room counts', async () => {
    const url = await serve();
    await presence!.graph.addEdge('alice', 'bob');
    await open('alice');
    await open('bob');
    await open('carol', { invisible: true });
    const room = await open('dave');
    await room.socket.timeout(5_000).emitWithAck('presence:room:join', 'lobby');

    expect(await get(`${url}/admin/counts`)).toEqual({
      status: 200,
      body: { users: 3, connections: 3 },
    });
    expect((await get(`${url}/admin/counts/topic?topic=user:alice`)).body).toEqual({
      topic: 'user:alice',
      presences: 1,
      keys: 1,
    });
    expect((await get(`${url}/admin/counts/friends?user=alice`)).body).toEqual({
      user: 'alice',
      online: 1,
      source: 'maintained',
    });
    expect((await get(`${url}/admin/counts/friends?user=nobody`)).body).toEqual({
      user: 'nobody',
      online: 0,
      source: 'graph',
    });
    expect((await get(`${url}/admin/counts/room?room=lobby`)).body).toEqual({
      room: 'lobby',
      count: 1,
    });
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(text).toMatch(/^presence_online_users 3$/m);
    expect(text).toMatch(/^presence_online_connections 3$/m);
  });

  it('need the admin token and say what is missing or wrong', async () => {
    const url = await serve();
    expect((await get(`${url}/admin/counts`, null)).status).toBe(401);
    expect((await get(`${url}/admin/counts`, 'wrong-token-0123456789')).status).toBe(401);
    const missing = await get(`${url}/admin/counts/friends`);
    expect(missing.status).toBe(400);
    expect(missing.body['error']).toMatchObject({ code: 'missing_parameter' });
    const bad = await get(`${url}/admin/counts/room?room=${encodeURIComponent('a b')}`);
    expect(bad.status).toBe(400);
    expect(bad.body['error']).toMatchObject({ code: 'invalid_room' });
  });

  it('answer 503 graph_unavailable when the graph fails for a user not connected here', async () => {
    const url = await serve({
      wrapGraph: (graph) => ({
        visibleTo: () => Promise.reject(new Error('graph down')),
        subscribe: (listener) => graph.subscribe(listener),
        close: () => graph.close(),
      }),
    });
    const answer = await get(`${url}/admin/counts/friends?user=alice`);
    expect(answer.status).toBe(503);
    expect(answer.body['error']).toMatchObject({ code: 'graph_unavailable' });
  });
});
