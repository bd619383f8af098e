/**
 * The node's HTTP surface as an attacker sees it: `/metrics` (whose connection gauges reveal
 * invisible users) needs the admin token on the main port, or is served alone on a separate
 * `--metrics-listen` address; an unauthenticated caller gets 401 before any 405, so it learns
 * nothing of a route's methods; an over-long user id is a 400 with a code, not a 503.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { countRoutes } from '../../src/http/count-routes.js';
import { deliveryRoutes } from '../../src/http/delivery-routes.js';
import { createHttpHandler } from '../../src/http/http-handler.js';
import { createPresenceMetrics } from '../../src/http/metrics.js';
import { silentLogger } from '../../src/ports/logger.js';
import { killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { SECRET, startTestServer, type TestServer } from '../gateway/support/test-server.js';

const TOKEN = 'admin-token-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };

let presence: TestServer | undefined;
let http: Server | undefined;
afterEach(async () => {
  if (http) await new Promise((resolve) => http!.close(resolve));
  http = undefined;
  await presence?.close();
  presence = undefined;
});
afterAll(() => killAll());

/** The node's HTTP handler over a real presence server, with or without an admin token. */
async function serve(adminToken: string | undefined): Promise<string> {
  presence = await startTestServer();
  const { replica, changes, counts, deliver } = presence.server;
  const metrics = createPresenceMetrics({
    replica,
    changes,
    connections: () => 0,
    transports: [],
  });
  http = createServer(
    createHttpHandler({
      node: 'http-admin-test',
      isReady: () => true,
      replicaCounts: () => ({ up: 0, down: 0 }),
      metrics,
      routes: new Map([...deliveryRoutes(deliver), ...countRoutes(counts)]),
      adminToken,
      logger: silentLogger,
    }),
  );
  http.on('close', () => metrics.close());
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function answer(response: Response): Promise<{ status: number; code: string | undefined }> {
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

describe('/metrics on the main port', () => {
  it('is off without an admin token, like a disabled admin route', async () => {
    const url = await serve(undefined);
    const response = await fetch(`${url}/metrics`);
    const body = await response.text();
    expect(response.status).toBe(404);
    expect(body).toContain('admin_disabled');
    expect(body).toContain('--metrics-listen');
    expect(body).not.toContain('presence_connections');
  });

  it('needs the admin token when one is configured', async () => {
    const url = await serve(TOKEN);
    expect(await answer(await fetch(`${url}/metrics`))).toEqual({
      status: 401,
      code: 'unauthorized',
    });
    const wrong = await fetch(`${url}/metrics`, {
      headers: { authorization: 'Bearer not-the-admin-token-0' },
    });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${url}/metrics`, { headers: bearer });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('presence_connections');
    expect((await fetch(`${url}/healthz`)).status).toBe(200); // health stays public
  });
});

describe('401 before 405', () => {
  it.each([
    ['GET /admin/deliver', '/admin/deliver', 'GET'],
    ['POST /admin/counts', '/admin/counts', 'POST'],
    ['DELETE /metrics', '/metrics', 'DELETE'],
  ])('%s without the token is 401 and names no method', async (_name, path, method) => {
    const url = await serve(TOKEN);
    const response = await fetch(`${url}${path}`, { method });
    expect(response.headers.get('allow')).toBeNull();
    expect(await answer(response)).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('with the token, a wrong method is still 405 with Allow', async () => {
    const url = await serve(TOKEN);
    const response = await fetch(`${url}/admin/deliver`, { headers: bearer });
    expect(response.headers.get('allow')).toBe('POST');
    expect(await answer(response)).toEqual({ status: 405, code: 'method_not_allowed' });
  });
});

describe('/admin/counts/friends with an over-long user id', () => {
  it.each([
    ['257 ASCII characters', 'u'.repeat(257)],
    ['2000 characters', 'u'.repeat(2000)],
    ['200 two-byte characters (400 bytes)', 'é'.repeat(200)],
  ])('%s: 400 invalid_user naming the limit', async (_name, user) => {
    const url = await serve(TOKEN);
    const response = await fetch(`${url}/admin/counts/friends?user=${encodeURIComponent(user)}`, {
      headers: bearer,
    });
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('invalid_user');
    expect(body.error.message).toContain('256 bytes');
  });
});

describe('--metrics-listen on the real command', () => {
  it('serves /metrics alone without auth there; the main port keeps it behind the admin token', async () => {
    const { run, url } = await startCli(
      ['--port', '0', '--metrics-listen', '127.0.0.1:0', '--demo'],
      { PRESENCE_JWT_SECRET: SECRET },
    );
    try {
      const metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(run.stdout)?.[1];
      expect(metricsUrl).toBeDefined();
      const scrape = await fetch(metricsUrl!);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('presence_connections');
      const origin = new URL(metricsUrl!).origin;
      for (const path of ['/healthz', '/demo/token?user=alice', '/admin/counts', '/']) {
        expect((await fetch(`${origin}${path}`)).status).toBe(404);
      }
      expect((await fetch(`${origin}/metrics`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
    } finally {
      expect((await stopCli(run)).code).toBe(0);
    }
  });

  it('PRESENCE_METRICS_LISTEN works too, and the admin token opens /metrics on the main port', async () => {
    const { run, url } = await startCli(['--port', '0'], {
      PRESENCE_JWT_SECRET: SECRET,
      PRESENCE_ADMIN_TOKEN: TOKEN,
      PRESENCE_METRICS_LISTEN: '127.0.0.1:0',
    });
    try {
      const metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(run.stdout)?.[1];
      expect((await fetch(metricsUrl!)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: bearer })).status).toBe(200);
    } finally {
      expect((await stopCli(run)).code).toBe(0);
    }
  });
});
