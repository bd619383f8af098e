/**
 * presence.http(): its options are checked (a clear error naming what to change); without `next`
 * an unknown path or one outside the prefix is 404 JSON; `/readyz` of a lone node is 200 once the
 * graph answered its check, and 503 `closing` once close() began; the admin routes without a token
 * say how to enable them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createPresenceServer, type PresenceServer } from '../../src/index.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'presence-http-test-secret-32-bytes!!';

describe('presence.http()', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  function presenceServer(): PresenceServer {
    const presence = createPresenceServer({
      graph: new GraphologyFriendsGraph(),
      jwtSecret: SECRET,
    });
    closers.push(() => presence.close());
    return presence;
  }

  async function serve(presence: PresenceServer, options?: Parameters<PresenceServer['http']>[0]) {
    const handler = presence.http(options);
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('refuses a malformed prefix or a short admin token, naming the option', () => {
    const presence = presenceServer();
    for (const prefix of ['presence', '/presence/', '/a?b']) {
      expect(() => presence.http({ prefix })).toThrow(InvalidOptionError);
      expect(() => presence.http({ prefix })).toThrow(/prefix/);
    }
    expect(() => presence.http({ adminToken: 'short' })).toThrow(/adminToken must be at least 16/);
    for (const readiness of [{ graphCheckIntervalMs: 0 }, { graphCheckTimeoutMs: -1 }]) {
      expect(() =>
        createPresenceServer({ graph: new GraphologyFriendsGraph(), jwtSecret: SECRET, readiness }),
      ).toThrow(/readiness\.graphCheck/);
    }
  });

  it('answers 404 JSON outside its prefix and for unknown paths, without next', async () => {
    const url = await serve(presenceServer(), { prefix: '/presence' });
    for (const path of ['/readyz', '/presence/nothing', '/presencex/readyz']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect((await fetch(`${url}/presence/healthz`)).status).toBe(200);
  });

  it('says how to enable the admin routes when no token was given', async () => {
    const url = await serve(presenceServer());
    const response = await fetch(`${url}/admin/counts`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('admin_disabled');
    expect(body.error.message).toContain('adminToken');
  });

  it('/readyz: 200 for a lone node once the graph answered, 503 closing once close() began', async () => {
    const presence = presenceServer();
    const url = await serve(presence);
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200);
    const closed = presence.close();
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { ready: boolean; reasons: { code: string }[] };
    expect(body.ready).toBe(false);
    expect(body.reasons.map((r) => r.code)).toContain('closing');
    await closed;
  });
});
