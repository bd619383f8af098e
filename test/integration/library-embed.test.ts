/**
 * An app embeds graph-presence through the package's public exports only (`graph-presence`,
 * `graph-presence/client`, `graph-presence/graph-adapters/graphology`, resolved through the
 * devDependency `graph-presence: file:.` to the built `dist/`), and serves the node's HTTP surface
 * with `presence.http()` under a path of its own server: `/readyz`, `/admin/presence` and
 * `/metrics`, its own routes untouched. `dist/` is rebuilt first when a source file is newer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'library-embed-secret-of-32-bytes!!!';
const ADMIN = 'library-embed-admin-token-0123456789';

/** The newest modification time of a .ts file under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** `npm ci` builds dist (prepare); an edit since then needs a build for this test to see it. */
function ensureFreshBuild(): void {
  const built = join(root, 'dist/src/index.js');
  const sources = Math.max(
    newestSource(join(root, 'src')),
    newestSource(join(root, 'graph-adapters')),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

// Types from the sources the package is built from, so that typechecking never depends on a
// stale dist/; every value comes from the package at run time.
type Lib = typeof import('../../src/index.js');
type Client = typeof import('../../src/client/index.js');
type Graphology = typeof import('../../graph-adapters/graphology/index.js');

describe('embedding through the public exports', () => {
  let lib: Lib;
  let clientLib: Client;
  let graphology: Graphology;
  let presence: import('../../src/index.js').PresenceServer;
  let url: string;
  const clients: import('../../src/client/index.js').PresenceClient[] = [];
  let server: ReturnType<typeof createServer>;

  beforeAll(async () => {
    ensureFreshBuild();
    lib = (await import('graph-presence')) as unknown as Lib;
    clientLib = (await import('graph-presence/client')) as unknown as Client;
    graphology = (await import(
      'graph-presence/graph-adapters/graphology'
    )) as unknown as Graphology;

    const graph = new graphology.GraphologyFriendsGraph();
    await graph.addEdge('alice', 'bob');
    // The app's own server: its routes, with the presence routes under /presence.
    let presenceRoutes: import('../../src/index.js').PresenceHttpHandler | undefined;
    const app = (req: IncomingMessage, res: ServerResponse) => {
      presenceRoutes?.(req, res, () => {
        res.writeHead(418, { 'content-type': 'text/plain' });
        res.end(`the app's own ${req.url}`);
      });
    };
    server = createServer(app);
    presence = lib.createPresenceServer({ httpServer: server, graph, jwtSecret: SECRET });
    presenceRoutes = presence.http({ adminToken: ADMIN, prefix: '/presence' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await presence?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function connect(user: string) {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const client = clientLib.createPresenceClient(url, {
      token,
      device: 'web',
      socketOptions: { transports: ['websocket'], reconnection: false, forceNew: true },
    });
    clients.push(client);
    await new Promise<void>((resolve) => client.on('sync', () => resolve()));
    return client;
  }

  const admin = { authorization: `Bearer ${ADMIN}` };

  it('serves /readyz: 200 once the graph answered its check', async () => {
    let body: unknown;
    await waitFor(async () => {
      const response = await fetch(`${url}/presence/readyz`);
      body = await response.json();
      return response.status === 200;
    });
    expect(body).toEqual({ ready: true, reasons: [] });
    expect(presence.readiness()).toEqual({ ready: true, reasons: [] });
  });

  it('serves /admin/presence with the admin token (and last seen by default)', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await waitFor(() => alice.get('bob') !== undefined);
    const query = async () => {
      const response = await fetch(`${url}/presence/admin/presence?users=alice,bob`, {
        headers: admin,
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        users: Record<string, { online: boolean; lastSeen: unknown }>;
      };
      return body.users;
    };
    const online = await query();
    expect(online['alice']?.online).toBe(true);
    expect(online['bob']?.online).toBe(true);
    expect((await fetch(`${url}/presence/admin/presence?users=alice`)).status).toBe(401);

    // The default memory store keeps bob's last seen once he is offline.
    bob.disconnect();
    await waitFor(async () => typeof (await query())['bob']?.lastSeen === 'number', {
      timeoutMs: 20_000,
      description: "bob's last seen recorded",
    });
  });

  it('serves /metrics with the admin token, the registry presence.metrics renders', async () => {
    const response = await fetch(`${url}/presence/metrics`, { headers: admin });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^presence_connections \d+$/m);
    expect(text).toContain('presence_transport_frames_dropped_total{reason="link_down"} 0');
    expect(await presence.metrics.metrics()).toContain('presence_connections');
  });

  it("passes paths it does not serve to the app's next handler", async () => {
    for (const path of ['/elsewhere', '/presence/nothing-here', '/presencez/readyz']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(418);
      expect(await response.text()).toBe(`the app's own ${path}`);
    }
  });
});
