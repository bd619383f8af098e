/**
 * `deliver` across nodes on in-memory transports (a tracker bus and a delivery bus): routing by
 * presence, the broadcast retry when presence is stale or an answer is lost (never shown twice),
 * the re-send to where the user joins, and 'all' across nodes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDeliveryFrame } from '../../src/delivery/delivery-frames.js';
import type { UndeliveredMessage } from '../../src/delivery/index.js';
import type { PresenceServer } from '../../src/server/create-presence-server.js';
import { createInMemoryBus, type InMemoryBus } from '../../src/transports/in-memory-bus.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';
import { type Inbox, openInbox } from './support/inbox.js';
import { droppingSends } from './support/transport-taps.js';

const TIMING = { broadcastPeriodMs: 20, downPeriodMs: 60_000, permdownPeriodMs: 120_000 };

let servers: TestServer[] = [];
const inboxes: Inbox[] = [];

afterEach(async () => {
  for (const inbox of inboxes.splice(0)) inbox.close();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

interface Cluster {
  readonly trackerBus: InMemoryBus;
  readonly nodes: Record<string, TestServer>;
  readonly handed: UndeliveredMessage[];
}

async function startCluster(
  names: readonly string[],
  tap: (name: string, transport: ReturnType<InMemoryBus['createTransport']>) => typeof transport = (
    _name,
    transport,
  ) => transport,
): Promise<Cluster> {
  const trackerBus = createInMemoryBus();
  const deliveryBus = createInMemoryBus();
  const handed: UndeliveredMessage[] = [];
  const nodes: Record<string, TestServer> = {};
  for (const name of names) {
    const node = await startTestServer({
      transport: trackerBus.createTransport(name),
      deliveryTransport: tap(name, deliveryBus.createTransport(name)),
      timing: TIMING,
      delivery: { onUndelivered: (message) => void handed.push(message) },
    });
    servers.push(node);
    nodes[name] = node;
  }
  return { trackerBus, nodes, handed };
}

async function inbox(node: TestServer, user: string) {
  const opened = await openInbox(node.url, user);
  inboxes.push(opened);
  return opened;
}

/** Waits until `server`'s presence shows `count` connections of `user`. */
function sees(server: PresenceServer, user: string, count: number) {
  return waitFor(() => server.replica.view.get(`user:${user}`, user).length === count, {
    description: `${server.replica.ref.name} sees ${count} connection(s) of ${user}`,
  });
}

describe('deliver across nodes', () => {
  it('goes straight to the node presence names: no broadcast', async () => {
    const { nodes } = await startCluster(['a', 'b']);
    const alice = await inbox(nodes['b']!, 'alice');
    await sees(nodes['a']!.server, 'alice', 1);
    const result = await nodes['a']!.server.deliver('alice', 'chat', { n: 1 });
    expect(result).toMatchObject({ delivered: true, connections: 1 });
    expect(alice.shown).toEqual([{ id: result.id, event: 'chat', payload: { n: 1 } }]);
    expect(nodes['a']!.server.delivery!.stats()).toMatchObject({ broadcasts: 0, delivered: 1 });
  });

  it("counts the connections of every node with ack: 'all'", async () => {
    const { nodes } = await startCluster(['a', 'b']);
    await inbox(nodes['a']!, 'alice');
    await inbox(nodes['b']!, 'alice');
    await sees(nodes['a']!.server, 'alice', 2);
    const result = await nodes['a']!.server.deliver('alice', 'chat', 1, { ack: 'all' });
    expect(result).toMatchObject({ delivered: true, connections: 2 });
  });

  it('retries when the answer is lost, and the client shows the message once', async () => {
    let dropped = 0;
    const { nodes } = await startCluster(['a', 'b'], (name, transport) =>
      name === 'b'
        ? droppingSends(transport, (_to, frame) => {
            const decoded = decodeDeliveryFrame(frame);
            return typeof decoded !== 'string' && decoded.kind === 'answer' && dropped++ === 0;
          })
        : transport,
    );
    const alice = await inbox(nodes['b']!, 'alice');
    await sees(nodes['a']!.server, 'alice', 1);
    let received = 0;
    alice.client.socket.on('presence_message', () => received++);
    const result = await nodes['a']!.server.deliver('alice', 'chat', 'once', { timeoutMs: 2_000 });
    expect(result).toMatchObject({ delivered: true });
    expect(dropped).toBeGreaterThanOrEqual(1);
    expect(nodes['a']!.server.delivery!.stats().broadcasts).toBe(1);
    // Received twice by the SDK (routed, then the retry), shown once.
    expect(received).toBe(2);
    expect(alice.timesShown(result.id)).toBe(1);
  });

  for (const ack of ['first', 'all'] as const) {
    it(`finds a user presence places on the wrong node (ack: '${ack}')`, async () => {
      const { nodes, trackerBus } = await startCluster(['a', 'b', 'c']);
      const old = await inbox(nodes['b']!, 'alice');
      await sees(nodes['a']!.server, 'alice', 1);
      // Replication stops for b and c: a keeps believing alice is on b.
      trackerBus.setLinkUp('b', false);
      trackerBus.setLinkUp('c', false);
      old.close();
      await waitFor(() => nodes['b']!.server.gateway.stats().connections === 0);
      const moved = await inbox(nodes['c']!, 'alice');
      expect(nodes['a']!.server.replica.view.get('user:alice', 'alice')[0]?.replica.ref.name).toBe(
        'b',
      );
      const result = await nodes['a']!.server.deliver('alice', 'chat', 'moved', { ack });
      expect(result).toMatchObject({ delivered: true, connections: 1 });
      expect(moved.shown.map((m) => m.payload)).toEqual(['moved']);
      expect(nodes['a']!.server.delivery!.stats().broadcasts).toBe(1);
    });
  }

  it('sends to the node where the user connects while the delivery waits', async () => {
    const { nodes } = await startCluster(['a', 'b']);
    const pending = nodes['a']!.server.deliver('alice', 'chat', 'hello', { timeoutMs: 30_000 });
    const alice = await inbox(nodes['b']!, 'alice');
    expect(await pending).toMatchObject({ delivered: true });
    expect(alice.shown.map((m) => m.payload)).toEqual(['hello']);
  });

  it('hands the message to the fallback when the user is on no node', async () => {
    const { nodes, handed } = await startCluster(['a', 'b']);
    const result = await nodes['a']!.server.deliver('alice', 'chat', 1, { timeoutMs: 100 });
    expect(result).toMatchObject({ delivered: false, fallback: true, reason: 'timeout' });
    expect(handed.map((m) => m.id)).toEqual([result.id]);
  });
});
