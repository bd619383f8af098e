/**
 * `/readyz` with real components: a CLI node whose bus Redis (a redis-server of this test) stops
 * answers 503 `bus_down` and 200 again once Redis is back and the node has re-synced; an embedded
 * node whose friends graph fails (the HTTP adapter's server stopped, a PostgreSQL database without
 * the graph's schema) answers 503 `graph_failing`, and 200 once the graph answers again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HttpFriendsGraph } from '../../graph-adapters/http/index.js';
import { PostgresFriendsGraph } from '../../graph-adapters/postgres/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { createPresenceServer, type PresenceServer } from '../../src/server/index.js';
import { killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { connectClient, type WatchedClient } from '../cli/support/presence-clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'readiness-test-secret-of-32-bytes!!';
const ADMIN = 'readiness-admin-token-0123456789';
const DATABASE_URL = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

interface ReadyBody {
  ready: boolean;
  reasons: { code: string; message: string }[];
}

async function readyz(url: string): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

async function waitForReadyz(url: string, status: number, description: string) {
  let last: { status: number; body: ReadyBody } | undefined;
  await waitFor(
    async () => {
      last = await readyz(url);
      return last.status === status;
    },
    { timeoutMs: 30_000, description },
  );
  return last!;
}

describe('/readyz of a CLI node and its bus', () => {
  let redis: RedisServer | undefined;
  afterAll(async () => {
    killAll();
    await redis?.dispose();
  });

  it('is 503 bus_down while its Redis is stopped, 200 again after Redis restarts', async () => {
    redis = await startRedisServer();
    const node = await startCli([
      ...['--port', '0', '--redis', redis.url, '--node-name', 'ready-1', '--demo'],
      ...['--jwt-secret', SECRET, '--broadcast-period-ms', '100'],
    ]);
    const up = await waitForReadyz(node.url, 200, 'the node ready with its bus up');
    expect(up.body).toEqual({ ready: true, reasons: [] });

    await redis.stop();
    const down = await waitForReadyz(node.url, 503, 'the node unready without Redis');
    expect(down.body.ready).toBe(false);
    expect(down.body.reasons.map((r) => r.code)).toContain('bus_down');

    await redis.start();
    const back = await waitForReadyz(node.url, 200, 'the node ready again');
    expect(back.body).toEqual({ ready: true, reasons: [] });
    expect(await stopCli(node.run)).toEqual({ code: 0, signal: null });
  });

  it("a node joining a cluster is ready only once it holds the cluster's presences", async () => {
    redis ??= await startRedisServer();
    const url = redis.url;
    const args = (name: string) => [
      ...['--port', '0', '--redis', url, '--node-name', name, '--demo'],
      ...['--jwt-secret', SECRET, '--admin-token', ADMIN, '--broadcast-period-ms', '300'],
    ];
    const first = await startCli(args('ready-first'));
    const clients: WatchedClient[] = [];
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    for (const user of users) clients.push(await connectClient(first.url, user));
    const onlineUsers = async (nodeUrl: string) => {
      const response = await fetch(`${nodeUrl}/admin/counts`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      return ((await response.json()) as { users: number }).users;
    };
    await waitFor(async () => (await onlineUsers(first.url)) === users.length);

    const joining = await startCli(args('ready-joining'));
    // The first 200 of the joining node: its replica must hold every presence by then.
    await waitFor(async () => (await fetch(`${joining.url}/readyz`)).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 5,
      description: 'the joining node ready',
    });
    expect(await onlineUsers(joining.url)).toBe(users.length);
    for (const client of clients) client.client.disconnect();
    await stopCli(joining.run);
    await stopCli(first.run);
  });
});

describe('/readyz of an embedded node and its friends graph', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function embed(graph: FriendsGraph, graphCheckTimeoutMs = 1_000): Promise<string> {
    const presence: PresenceServer = createPresenceServer({
      graph,
      jwtSecret: SECRET,
      readiness: { graphCheckIntervalMs: 50, graphCheckTimeoutMs },
    });
    const handler = presence.http();
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      await presence.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** The app's graph API: nobody has friends, every user answers. */
  async function graphApi(port = 0): Promise<Server> {
    const api = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"visible":[]}');
    });
    await new Promise<void>((resolve) => api.listen(port, '127.0.0.1', resolve));
    return api;
  }

  const stop = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  it('HTTP adapter: 503 graph_failing while the app API is stopped, 200 once it is back', async () => {
    let api = await graphApi();
    const port = (api.address() as AddressInfo).port;
    const graph = new HttpFriendsGraph({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 500 });
    closers.push(() => graph.close());
    const url = await embed(graph);
    expect((await waitForReadyz(url, 200, 'ready with the graph up')).body.ready).toBe(true);

    await stop(api);
    const down = await waitForReadyz(url, 503, 'unready with the graph API stopped');
    expect(down.body.reasons.map((r) => r.code)).toEqual(['graph_failing']);
    expect(down.body.reasons[0]?.message).toContain(`127.0.0.1:${port}`);

    api = await graphApi(port);
    closers.push(() => stop(api));
    expect((await waitForReadyz(url, 200, 'ready again')).body).toEqual({
      ready: true,
      reasons: [],
    });
  });

  it('HTTP adapter whose API never answers: 503 graph_failing at the check deadline', async () => {
    const silent = createServer(() => {}); // holds every request, answers none
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => stop(silent));
    const port = (silent.address() as AddressInfo).port;
    const graph = new HttpFriendsGraph({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 60_000 });
    closers.push(() => graph.close());
    const url = await embed(graph, 200);
    let down: { status: number; body: ReadyBody } | undefined;
    await waitFor(
      async () => {
        down = await readyz(url);
        return down.body.reasons.some((r) => r.code === 'graph_failing');
      },
      { timeoutMs: 30_000, description: 'the check given up at its deadline' },
    );
    expect(down?.status).toBe(503);
    expect(down?.body.reasons[0]?.message).toContain('took longer than 200 ms');
  });

  it('PostgreSQL adapter on a database without the graph schema: 503 graph_failing', async () => {
    const graph = await PostgresFriendsGraph.connect({
      connectionString: DATABASE_URL,
      schema: 'readiness_no_such_schema',
      onError: () => {},
    });
    closers.push(() => graph.close());
    const url = await embed(graph);
    let down: { status: number; body: ReadyBody } | undefined;
    await waitFor(
      async () => {
        down = await readyz(url);
        return down.body.reasons.some((r) => r.code !== 'graph_unchecked');
      },
      { timeoutMs: 30_000, description: 'the first graph check done' },
    );
    expect(down?.status).toBe(503);
    expect(down?.body.reasons.map((r) => r.code)).toEqual(['graph_failing']);
    expect(down?.body.reasons[0]?.message).toContain('readiness_no_such_schema');
  });
});
