/**
 * The node's HTTP routing on a real HTTP server: admin routes need the admin token, exist only
 * when one is configured, answer one method, and bad JSON bodies get coded errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeRouter } from '../../src/change-router/change-router.js';
import { createHttpHandler } from '../../src/http/http-handler.js';
import { sendJson } from '../../src/http/json-response.js';
import { createPresenceMetrics } from '../../src/http/metrics.js';
import { MAX_JSON_BODY_BYTES, readJsonBody } from '../../src/http/read-json-body.js';
import { adminRoute, type Route } from '../../src/http/route.js';
import { silentLogger } from '../../src/ports/logger.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';

const TOKEN = 'admin-token-0123456789';
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(adminToken: string | undefined): Promise<string> {
  const replica = new TrackerReplica({
    name: 'http-test',
    transport: createInMemoryBus().createTransport('http-test'),
  });
  const metrics = createPresenceMetrics({
    replica,
    changes: new ChangeRouter(replica, silentLogger),
    connections: () => 0,
    transports: [],
  });
  const routes = new Map<string, Route>([
    [
      '/echo',
      adminRoute('POST', async (req, res) => sendJson(res, 200, { got: await readJsonBody(req) })),
    ],
  ]);
  const handler = createHttpHandler({
    node: 'http-test',
    isReady: () => true,
    replicaCounts: () => ({ up: 1, down: 0 }),
    metrics,
    routes,
    adminToken,
    logger: silentLogger,
  });
  const server = createServer(handler);
  servers.push(server);
  server.on('close', () => metrics.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/echo`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
      ...headers,
    },
  });

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { error: { code: string } };
  return { status: response.status, code: body.error.code };
}

describe('admin routes', () => {
  it('answer with the right token', async () => {
    const url = await serve(TOKEN);
    const response = await post(url, '{"a":1}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ got: { a: 1 } });
  });

  it('are 404 admin_disabled without a configured token, naming the option', async () => {
    const url = await serve(undefined);
    const response = await post(url, '{}');
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(response.status).toBe(404);
    expect(body.error.code).toBe('admin_disabled');
    expect(body.error.message).toContain('--admin-token');
  });

  it.each([
    ['no header', { authorization: '' }],
    ['wrong token', { authorization: 'Bearer admin-token-0123456780' }],
    ['a prefix of the token', { authorization: 'Bearer admin-token' }],
    ['not a bearer', { authorization: `Basic ${TOKEN}` }],
  ])('are 401 with %s', async (_name, headers) => {
    const url = await serve(TOKEN);
    const response = await post(url, '{}', headers);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await errorOf(response)).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('answer their one method: GET is 405 with Allow', async () => {
    const url = await serve(TOKEN);
    const response = await fetch(`${url}/echo`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.headers.get('allow')).toBe('POST');
    expect(await errorOf(response)).toEqual({ status: 405, code: 'method_not_allowed' });
  });

  it.each([
    ['not JSON', 'nope', {}, 400, 'invalid_json'],
    ['not sent as JSON', '{}', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    ['too large', `"${'x'.repeat(MAX_JSON_BODY_BYTES)}"`, {}, 413, 'body_too_large'],
  ])('bodies %s get a coded error', async (_name, body, headers, status, code) => {
    const url = await serve(TOKEN);
    expect(await errorOf(await post(url, body, headers))).toEqual({ status, code });
  });

  it('public routes still answer GET and HEAD', async () => {
    const url = await serve(TOKEN);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
