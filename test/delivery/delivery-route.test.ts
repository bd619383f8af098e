/**
 * `POST /admin/deliver`: in process (the route on a node's HTTP handler: auth, validation, a real
 * delivery, the metrics), then end to end through the real command with Redis, delivering to a
 * user connected to the other node.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from '../../src/delivery/index.js';
import { DELIVER_PATH, deliveryRoutes } from '../../src/http/delivery-routes.js';
import { createHttpHandler } from '../../src/http/http-handler.js';
import { createPresenceMetrics } from '../../src/http/metrics.js';
import { silentLogger } from '../../src/ports/logger.js';
import { killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { SECRET, startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { type Inbox, openInbox } from './support/inbox.js';

const TOKEN = 'admin-token-0123456789';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => killAll());

/** A presence server and, on its own port, the node's HTTP handler with the delivery route. */
async function serve(): Promise<{ node: TestServer; api: string; metrics: () => Promise<string> }> {
  const node = await startTestServer({ delivery: { onUndelivered: () => {} } });
  cleanups.push(() => node.close());
  const { replica, changes, delivery, deliver } = node.server;
  const metrics = createPresenceMetrics({
    replica,
    changes,
    connections: () => 0,
    transports: [],
    delivery,
  });
  const handler = createHttpHandler({
    node: 'n',
    isReady: () => true,
    replicaCounts: () => ({ up: 0, down: 0 }),
    metrics,
    routes: deliveryRoutes(deliver),
    adminToken: TOKEN,
    logger: silentLogger,
  });
  const http: Server = createServer(handler);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    metrics.close();
    await new Promise((resolve) => http.close(resolve));
  });
  const api = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { node, api, metrics: () => metrics.render() };
}

async function inbox(url: string, user: string): Promise<Inbox> {
  const opened = await openInbox(url, user);
  cleanups.push(() => opened.close());
  return opened;
}

function post(api: string, body: unknown, token = TOKEN): Promise<Response> {
  return fetch(`${api}${DELIVER_PATH}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
}

describe('POST /admin/deliver', () => {
  it('delivers and answers with the result; the metrics count it', async () => {
    const { node, api, metrics } = await serve();
    const alice = await inbox(node.url, 'alice');
    const response = await post(api, { user: 'alice', event: 'chat', payload: { text: 'hi' } });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { id: string };
    expect(result).toEqual({ delivered: true, id: expect.any(String), connections: 1 });
    expect(alice.shown).toEqual([{ id: result.id, event: 'chat', payload: { text: 'hi' } }]);

    const undelivered = await post(api, { user: 'bob', event: 'chat', timeoutMs: 20, ack: 'all' });
    expect(await undelivered.json()).toMatchObject({
      delivered: false,
      fallback: true,
      reason: 'timeout',
    });
    const text = await metrics();
    expect(text).toContain('presence_deliveries_total{outcome="delivered"} 1');
    expect(text).toContain('presence_deliveries_total{outcome="fallback"} 1');
    expect(text).toContain('presence_delivery_retries_total{kind="broadcast"} 1');
    expect(text).toMatch(/presence_delivery_seconds_count 1/);
  });

  it('needs the admin token', async () => {
    const { api } = await serve();
    const response = await post(api, { user: 'alice', event: 'chat' }, 'wrong-token-0123456789');
    expect(response.status).toBe(401);
  });

  const bad: [string, unknown, number, string][] = [
    ['not an object', [1, 2], 400, 'invalid_body'],
    ['not JSON', '{"user":', 400, 'invalid_json'],
    ['an unknown field', { user: 'a', event: 'e', timeout: 5 }, 400, 'unknown_field'],
    ['no user', { event: 'e' }, 400, 'invalid_user'],
    ['a numeric user', { user: 7, event: 'e' }, 400, 'invalid_user'],
    ['no event', { user: 'a' }, 400, 'invalid_event'],
    ['a long event', { user: 'a', event: 'e'.repeat(65) }, 400, 'invalid_event'],
    ['a bad timeout', { user: 'a', event: 'e', timeoutMs: '5' }, 400, 'invalid_timeout'],
    ['a bad ack', { user: 'a', event: 'e', ack: 'some' }, 400, 'invalid_ack'],
    [
      'a huge payload',
      { user: 'a', event: 'e', payload: 'x'.repeat(MAX_PAYLOAD_BYTES) },
      413,
      'payload_too_large',
    ],
  ];
  it.each(bad)('refuses %s with a coded error', async (_name, body, status, code) => {
    const { api } = await serve();
    const response = await post(api, body);
    expect(response.status).toBe(status);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
  });
});

describe('POST /admin/deliver on the command-line node, in a cluster', () => {
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await redis?.dispose();
  });

  it('reaches a user connected to another node', async () => {
    redis = await startRedisServer();
    const args = (name: string) => [
      ...['--port', '0', '--node-name', name, '--redis', redis!.url],
      ...['--jwt-secret', SECRET, '--admin-token', TOKEN, '--broadcast-period-ms', '100'],
    ];
    const env = { PRESENCE_CLUSTER_SECRET: 'delivery-route-cluster-secret-32-bytes' };
    const a = await startCli(args('cli-a'), env);
    cleanups.push(async () => void (await stopCli(a.run)));
    const b = await startCli(args('cli-b'), env);
    cleanups.push(async () => void (await stopCli(b.run)));
    const alice = await inbox(b.url, 'alice');
    // Through node a, once a knows where alice is (no broadcast needed then).
    await waitFor(
      async () => {
        const response = await fetch(`${a.url}/metrics`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return (await response.text()).includes('presence_presences 1');
      },
      { timeoutMs: 10_000, description: 'node a sees alice' },
    );
    const response = await post(a.url, { user: 'alice', event: 'chat', payload: [1, 2] });
    expect(await response.json()).toMatchObject({ delivered: true, connections: 1 });
    expect(alice.shown.map((m) => m.payload)).toEqual([[1, 2]]);
    const metrics = await (
      await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(metrics).toContain('presence_delivery_retries_total{kind="broadcast"} 0');
  });
});
