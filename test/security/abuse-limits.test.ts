/**
 * Abuse limits (issue 11, finding 5): a flooding connection is told why and closed while other
 * users keep getting their diffs; the main namespace `/` is refused; one address cannot make
 * handshakes without bound (checked before authentication); a user's connections are capped
 * cluster-wide. Real servers, real socket.io clients.
 */
import { Registry } from 'prom-client';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HandshakeRateLimit } from '../../src/gateway/edge/handshake-rate-limit.js';
import { registerAbuseMetrics } from '../../src/http/abuse-metrics.js';
import {
  dropConnection,
  type GraceNodes,
  startGraceNodes,
} from '../gateway/support/grace-cluster.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

let server: TestServer | undefined;
let cluster: GraceNodes | undefined;
const clients: TestClient[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of sockets.splice(0)) socket.disconnect();
  await server?.close();
  server = undefined;
  await cluster?.close();
  cluster = undefined;
});

async function open(url: string, user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

/** A raw socket.io socket, not connected yet. */
function rawSocket(url: string, auth: Record<string, unknown>, headers?: Record<string, string>) {
  const socket = io(url, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(headers ? { extraHeaders: headers } : {}),
  });
  sockets.push(socket);
  return socket;
}

/** Resolves with `'connected'` or the connect_error message. */
function outcome(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

async function metric(registry: Registry, name: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('inbound packet budget', () => {
  it('a connection flooding any event is told too_many_packets and closed; others keep their diffs', async () => {
    server = await startTestServer();
    const registry = new Registry();
    registerAbuseMetrics(registry, () => server!.server.gateway.stats());
    await server.graph.addEdge('alice', 'bob');
    const alice = await open(server.url, 'alice');
    const bob = await open(server.url, 'bob');
    const mallory = await open(server.url, 'mallory');
    const disconnected = new Promise<string>((resolve) =>
      mallory.socket.once('disconnect', (reason) => resolve(reason)),
    );

    // Unknown events, with and without acks: none of them is `presence:update`.
    for (let i = 0; i < 5_000; i++) {
      if (i % 2 === 0) mallory.socket.emit('junk', i);
      else mallory.socket.emit('presence:room:leave', `r${i}`, () => {});
    }

    expect(await disconnected).toBe('io server disconnect');
    expect(mallory.errors().map((e) => e.code)).toEqual(['too_many_packets']);
    expect(server.server.gateway.stats().packetFloods).toBe(1);
    expect(await metric(registry, 'presence_connections_flooding_total')).toBe(1);

    // Bob still gets alice's changes, and the flood left no other connection closed.
    expect(await alice.update({ status: 'away' })).toEqual({ ok: true });
    await waitFor(() => bob.metas('alice')[0]?.['status'] === 'away', {
      description: "bob sees alice's update",
    });
    expect(alice.socket.connected && bob.socket.connected).toBe(true);
  });

  it('a normal burst of updates stays within the budget (rate_limited acks, no disconnect)', async () => {
    server = await startTestServer();
    const alice = await open(server.url, 'alice');
    const acks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => alice.update({ status: `s${i}` })),
    );
    expect(acks.some((a) => !a.ok && a.error.code === 'rate_limited')).toBe(true);
    expect(alice.socket.connected).toBe(true);
    expect(server.server.gateway.stats().packetFloods).toBe(0);
  });
});

describe('the main namespace', () => {
  it('refuses connections to / with invalid_namespace', async () => {
    server = await startTestServer();
    const socket = rawSocket(server.url, {});
    expect(await outcome(socket)).toBe('invalid_namespace');
    // /presence still works on the same server.
    await open(server.url, 'alice');
  });
});

describe('handshake rate limit per address', () => {
  it('refuses a flood of handshakes from one address before authentication; another address gets in', async () => {
    server = await startTestServer({
      handshakeRateLimit: { perSecond: 0.001, burst: 3, trustForwardedFor: true },
    });
    const registry = new Registry();
    registerAbuseMetrics(registry, () => server!.server.gateway.stats());
    const flooder = { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' };
    const results: string[] = [];
    // No token at all: the first three are refused by authentication, then the limit answers
    // first (no token is checked for those).
    for (let i = 0; i < 5; i++) {
      results.push(await outcome(rawSocket(`${server.url}/presence`, {}, flooder)));
    }
    expect(results).toEqual([
      'unauthorized',
      'unauthorized',
      'unauthorized',
      'too_many_handshakes',
      'too_many_handshakes',
    ]);
    // A valid token from that address is refused too, with a retry hint.
    const refused = rawSocket(`${server.url}/presence`, { token: await tokenFor('eve') }, flooder);
    const error = await new Promise<Error & { data?: unknown }>((resolve) =>
      refused.once('connect_error', resolve),
    );
    expect(error.message).toBe('too_many_handshakes');
    expect(error.data).toEqual({ retryAfterMs: expect.any(Number) });

    const other = rawSocket(
      `${server.url}/presence`,
      { token: await tokenFor('alice') },
      { 'x-forwarded-for': '198.51.100.9' },
    );
    expect(await outcome(other)).toBe('connected');
    expect(server.server.gateway.stats().handshakesRateLimited).toBe(3);
    expect(await metric(registry, 'presence_handshakes_rate_limited_total')).toBe(3);
  });

  it('ignores X-Forwarded-For unless told to trust it: a forged header buys no fresh bucket', async () => {
    server = await startTestServer({ handshakeRateLimit: { perSecond: 0.001, burst: 2 } });
    const results: string[] = [];
    for (let i = 0; i < 3; i++) {
      const forged = { 'x-forwarded-for': `203.0.113.${i}` };
      results.push(await outcome(rawSocket(`${server.url}/presence`, {}, forged)));
    }
    expect(results).toEqual(['unauthorized', 'unauthorized', 'too_many_handshakes']);
  });

  it('remembers a bounded number of addresses', () => {
    const limit = new HandshakeRateLimit({
      perSecond: 1,
      burst: 1,
      maxAddresses: 100,
      trustForwardedFor: false,
    });
    for (let i = 0; i < 10_000; i++) expect(limit.take(`10.0.${i >> 8}.${i & 255}`, 0)).toBe(true);
    expect(limit.size).toBe(100);
    // The most recent address is still remembered (and over its limit).
    expect(limit.take('10.0.39.15', 0)).toBe(false);
  });
});

describe('connections per user', () => {
  it('caps a user cluster-wide, invisible connections included', async () => {
    cluster = await startGraceNodes(2, { maxConnectionsPerUser: 2 });
    const [node1, node2] = cluster.nodes as [TestServer, TestServer];
    await open(node1.url, 'alice', { device: 'phone' });
    await open(node1.url, 'alice', { device: 'laptop', invisible: true });
    await waitFor(
      () =>
        node2.server.replica.view.get('user:alice', 'alice').length +
          node2.server.replica.view.get('self:alice', 'alice').length ===
        2,
      { description: "node 2 knows alice's two connections" },
    );
    const third = rawSocket(`${node2.url}/presence`, {
      token: await tokenFor('alice'),
      device: 'tablet',
    });
    expect(await outcome(third)).toBe('too_many_connections');
  });

  it("a device's own connection in its leave grace here does not keep it from reconnecting", async () => {
    cluster = await startGraceNodes(1, { maxConnectionsPerUser: 1 });
    const [node] = cluster.nodes as [TestServer];
    const phone = await open(node.url, 'alice', { device: 'phone' });
    await dropConnection(node, phone);
    expect(node.server.gateway.stats().graced).toBe(1);
    const back = await open(node.url, 'alice', { device: 'phone' });
    expect(back.socket.connected).toBe(true);
    const tablet = rawSocket(`${node.url}/presence`, {
      token: await tokenFor('alice'),
      device: 'tablet',
    });
    expect(await outcome(tablet)).toBe('too_many_connections');
  });
});
