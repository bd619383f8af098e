/**
 * The first presence_state is concatenated from cached per-topic JSON fragments
 * (src/gateway/outbound/presence-state-message.ts): every later state must show the tracker as it
 * is now, after updates, invisibility toggles and leaves, with the exact metas socket.io would
 * have encoded.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { ChangeRouter } from '../../src/change-router/change-router.js';
import { PRESENCE_NAMESPACE } from '../../src/domain/client-protocol.js';
import { GatewayCounts } from '../../src/gateway/gateway-counts.js';
import { resolveGatewayOptions } from '../../src/gateway/gateway-options.js';
import type { PresenceNamespace } from '../../src/gateway/outbound/fan-out.js';
import { WireRefs, wireRefKey } from '../../src/gateway/outbound/wire-refs.js';
import { PresenceGateway } from '../../src/gateway/presence-gateway.js';
import { silentLogger } from '../../src/ports/logger.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { SECRET, startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let clients: TestClient[];

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(server.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

function firstState(client: TestClient): Record<string, { metas: Record<string, unknown>[] }> {
  const state = client.received.find((r) => r.event === 'presence_state');
  return state?.payload as Record<string, { metas: Record<string, unknown>[] }>;
}

beforeEach(async () => {
  server = await startTestServer();
  clients = [];
  for (const viewer of ['v1', 'v2', 'v3', 'v4', '42', '__proto__']) {
    await server.graph.addEdge('alice', viewer);
  }
});

afterEach(async () => {
  for (const client of clients) client.close();
  await server.close();
});

describe('presence_state from cached fragments', () => {
  it('shows each change of a friend to the next connection', async () => {
    const alice = await open('alice', { device: 'phone' });
    const v1 = await open('v1');
    expect(firstState(v1)['alice']?.metas).toEqual([
      expect.objectContaining({ status: 'online', device: 'phone' }),
    ]);

    expect(await alice.update({ status: 'away' })).toEqual({ ok: true });
    const v2 = await open('v2');
    const [meta] = firstState(v2)['alice']?.metas ?? [];
    expect(meta).toMatchObject({ status: 'away', device: 'phone' });
    expect(meta?.['phx_ref_prev']).toEqual(expect.any(String));
    expect(server.server.replica.view.get('user:alice', 'alice')).toHaveLength(1);

    expect(await alice.update({ invisible: true })).toEqual({ ok: true });
    const v3 = await open('v3');
    expect(firstState(v3)['alice']).toBeUndefined();

    expect(await alice.update({ invisible: false })).toEqual({ ok: true });
    alice.close();
    await waitFor(() => server.server.replica.view.get('user:alice', 'alice').length === 0);
    const v4 = await open('v4');
    expect(firstState(v4)).toEqual({
      v4: { metas: [expect.objectContaining({ status: 'online' })] },
    });
  });

  it('merges the own user topic and self topic, and keeps odd user ids as plain keys', async () => {
    await open('alice', { device: 'laptop' });
    await open('alice', { device: 'hidden', invisible: true });
    const third = await open('alice', { device: 'tablet' });
    const own = firstState(third)
      ['alice']?.metas.map((m) => m['device'])
      .sort();
    expect(own).toEqual(['hidden', 'laptop', 'tablet']);

    const numeric = await open('42');
    const proto = await open('__proto__');
    expect(Object.keys(firstState(numeric)).sort()).toEqual(['42', 'alice']);
    expect(Object.hasOwn(firstState(proto), '__proto__')).toBe(true);
    expect(firstState(proto)['alice']?.metas).toHaveLength(2);
  });
});

describe('presence_state fragments of two gateways on one replica', () => {
  it("gives each gateway's connections refs signed with its own ref secret", async () => {
    const replica = new TrackerReplica({
      name: 'shared',
      transport: createInMemoryBus().createTransport('shared'),
    });
    const changes = new ChangeRouter(replica, silentLogger);
    const graph = new GraphologyFriendsGraph();
    for (const viewer of ['v1', 'v2']) await graph.addEdge('alice', viewer);
    const secrets = [
      'first-ref-secret-of-32-bytes-or-more',
      'second-ref-secret-of-32-bytes-or-more',
    ];
    const nodes = await Promise.all(
      secrets.map(async (refSecret) => {
        const http = createServer();
        const io = new SocketIoServer(http);
        const options = resolveGatewayOptions({
          replica,
          changes,
          graph,
          jwtSecret: SECRET,
          refSecret,
        });
        const namespace = io.of(PRESENCE_NAMESPACE) as unknown as PresenceNamespace;
        const counts = new GatewayCounts(namespace, options, undefined);
        const gateway = new PresenceGateway(io, options, { counts });
        await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
        const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        return { io, gateway, url, refs: new WireRefs(wireRefKey(refSecret)) };
      }),
    );
    const [first, second] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const opened: TestClient[] = [];
    const open = async (url: string, user: string) => {
      const client = await connect(url, user, { device: user });
      opened.push(client);
      await client.ready();
      return client;
    };
    try {
      await open(first.url, 'alice');
      const [alice] = replica.view.get('user:alice', 'alice');
      // v1 reads alice's fragment through the first gateway (caching it), v2 through the second.
      const v1 = await open(first.url, 'v1');
      const v2 = await open(second.url, 'v2');
      expect(first.refs.of(alice!)).not.toBe(second.refs.of(alice!));
      expect(firstState(v1)['alice']?.metas).toEqual([first.refs.meta(alice!)]);
      expect(firstState(v2)['alice']?.metas).toEqual([second.refs.meta(alice!)]);
    } finally {
      for (const client of opened) client.close();
      for (const node of nodes) {
        node.gateway.close();
        await new Promise<void>((resolve) => node.io.close(() => resolve()));
      }
      changes.close();
      await graph.close();
    }
  });
});
