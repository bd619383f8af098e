/**
 * Leave grace over real sockets, in process, the grace on a manual clock (it runs out only when
 * a test advances it): a dropped connection stays shown; a reconnect of the same device on the
 * same node is one meta update for friends, on another node a join before the leave; explicit
 * leaves (disconnect(), token expiry, going invisible, shutdown) are immediate. Also what the
 * grace must not break: maxConnectionsPerUser, counts, delivery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PresenceDiff } from '../../src/domain/client-protocol.js';
import { waitFor } from '../support/wait-for.js';
import { dropConnection, type GraceNodes, startGraceNodes } from './support/grace-cluster.js';
import { type ConnectOptions, connect, type TestClient } from './support/test-client.js';
import type { TestServer } from './support/test-server.js';
import { tokenFor } from './support/test-server.js';

const GRACE_MS = 5_000;

let cluster: GraceNodes | undefined;
let clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await cluster?.close();
  cluster = undefined;
});

async function start(nodes = 1, options: Parameters<typeof startGraceNodes>[1] = {}) {
  cluster = await startGraceNodes(nodes, { leaveGraceMs: GRACE_MS, ...options });
  await cluster.graph.addEdge('alice', 'bob');
  return cluster;
}

async function open(node: TestServer, user: string, options: ConnectOptions = {}) {
  const client = await connect(node.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

/** bob's diffs about alice received from index `from` on. */
function diffsAbout(client: TestClient, user: string, from: number): PresenceDiff[] {
  return client.received
    .slice(from)
    .flatMap((r) => (r.event === 'presence_diff' ? [r.payload] : []))
    .filter((diff) => user in diff.joins || user in diff.leaves);
}

const devices = (client: TestClient, user: string) =>
  client
    .metas(user)
    .map((m) => String(m['device']))
    .sort();

describe('leave grace', () => {
  it('drop and reconnect on the same node within grace: friends get one meta update, no leave, no join', async () => {
    const { nodes } = await start();
    const node = nodes[0]!;
    const bob = await open(node, 'bob');
    const phone = await open(node, 'alice', { device: 'phone', status: 'online' });
    await waitFor(() => bob.users().includes('alice'));
    const oldRef = bob.metas('alice')[0]?.['phx_ref'];
    const mark = bob.received.length;

    await dropConnection(node, phone);
    expect(node.server.gateway.stats()).toMatchObject({ graced: 1, connections: 1 });
    await open(node, 'alice', { device: 'phone', status: 'back' });
    await waitFor(() => bob.metas('alice')[0]?.['status'] === 'back');

    const diffs = diffsAbout(bob, 'alice', mark);
    expect(diffs).toHaveLength(1);
    const [update] = diffs;
    expect(update!.joins['alice']!.metas).toHaveLength(1);
    expect(update!.joins['alice']!.metas[0]).toMatchObject({
      device: 'phone',
      status: 'back',
      phx_ref_prev: oldRef,
    });
    expect(update!.leaves['alice']!.metas.map((m) => m.phx_ref)).toEqual([oldRef]);
    expect(bob.history.slice(mark).every((users) => users.includes('alice'))).toBe(true);
    expect(node.server.gateway.stats()).toMatchObject({ graced: 0, graceResumed: 1 });
    // The taken-over entry is the new connection's: its explicit leave is immediate.
    expect(node.server.replica.view.get('user:alice', 'alice')).toHaveLength(1);
  });

  it('a connection that took over a graced entry sees its own update before the ack, and a removed friend never comes back', async () => {
    // Batching on: what a socket is owed waits in its outbox unless the session flushes or
    // withdraws it, which it must do under the socket's id, not the graced entry's.
    const { nodes, graph } = await start(1, { minBatchDelayMs: 300, maxBatchDelayMs: 300 });
    const node = nodes[0]!;
    await graph.addEdge('alice', 'carol');
    const carol = await open(node, 'carol');
    const phone = await open(node, 'alice', { device: 'phone' });
    await dropConnection(node, phone);
    const back = await open(node, 'alice', { device: 'phone' });
    await waitFor(() => back.users().includes('carol'));

    expect(await back.update({ status: 'busy' })).toEqual({ ok: true });
    expect(back.metas('alice').map((m) => m['status'])).toEqual(['busy']);

    // carol changes; while that waits in alice's outbox, the edge goes: nothing of carol after.
    expect(await carol.update({ status: 'away' })).toEqual({ ok: true });
    await graph.removeEdge('alice', 'carol');
    await waitFor(() => !back.users().includes('carol'));
    // Its own next update flushes whatever the socket is still owed, before the ack.
    expect(await back.update({ status: 'online' })).toEqual({ ok: true });
    expect(back.users()).not.toContain('carol');
  });

  it('drop and no reconnect: the leave comes when the grace runs out, not before', async () => {
    const { nodes, clock } = await start();
    const node = nodes[0]!;
    const bob = await open(node, 'bob');
    const alice = await open(node, 'alice', { device: 'phone' });
    await waitFor(() => bob.users().includes('alice'));
    const mark = bob.received.length;
    await dropConnection(node, alice);
    clock.advance(GRACE_MS - 1);
    // A round trip on bob's connection: anything emitted to him before it has arrived.
    expect(await bob.update({ status: 'barrier' })).toEqual({ ok: true });
    await waitFor(() => bob.metas('bob')[0]?.['status'] === 'barrier');
    expect(diffsAbout(bob, 'alice', mark)).toEqual([]);
    expect(node.server.counts.online()).toEqual({ users: 2, connections: 2 });

    clock.advance(1);
    await waitFor(() => !bob.users().includes('alice'), { description: 'alice left' });
    expect(node.server.gateway.stats()).toMatchObject({ graced: 0, graceExpired: 1 });
    expect(node.server.counts.online()).toEqual({ users: 1, connections: 1 });
  });

  it('an explicit disconnect leaves at once', async () => {
    const { nodes } = await start();
    const node = nodes[0]!;
    const bob = await open(node, 'bob');
    const alice = await open(node, 'alice', { device: 'phone' });
    await waitFor(() => bob.users().includes('alice'));
    alice.close();
    await waitFor(() => !bob.users().includes('alice'), { description: 'alice left at once' });
    expect(node.server.gateway.stats().graced).toBe(0);
  });

  it('token expiry leaves at once', async () => {
    const { nodes } = await start();
    const node = nodes[0]!;
    const bob = await open(node, 'bob');
    const soon = Math.floor(Date.now() / 1000) + 2; // JWT exp has whole seconds
    const alice = await open(node, 'alice', {
      device: 'phone',
      token: await tokenFor('alice', { expiresAt: soon }),
    });
    await waitFor(() => bob.users().includes('alice'));
    await waitFor(() => alice.socket.disconnected, { timeoutMs: 10_000 });
    expect(alice.errors().map((e) => e.code)).toEqual(['token_expired']);
    await waitFor(() => !bob.users().includes('alice'), { description: 'alice left at once' });
    expect(node.server.gateway.stats().graced).toBe(0);
  });

  it('an invisible connection is not graced; reconnecting invisible ends a visible grace at once', async () => {
    const { nodes } = await start();
    const node = nodes[0]!;
    const bob = await open(node, 'bob');
    const laptop = await open(node, 'alice', { device: 'laptop' });
    const hidden = await open(node, 'alice', { device: 'tablet', invisible: true });
    await waitFor(() => laptop.metas('alice').length === 2);
    await dropConnection(node, hidden);
    await waitFor(() => laptop.metas('alice').length === 1, {
      description: 'own device sees it go',
    });
    expect(node.server.gateway.stats().graced).toBe(0);

    await dropConnection(node, laptop);
    expect(node.server.gateway.stats().graced).toBe(1);
    expect(bob.users()).toContain('alice');
    await open(node, 'alice', { device: 'laptop', invisible: true });
    await waitFor(() => !bob.users().includes('alice'), { description: 'hidden at once' });
    expect(node.server.gateway.stats()).toMatchObject({ graced: 0, graceResumed: 1 });
  });

  it('graced connections do not count toward maxConnectionsPerUser', async () => {
    const { nodes } = await start(1, { maxConnectionsPerUser: 1 });
    const node = nodes[0]!;
    const phone = await open(node, 'alice', { device: 'phone' });
    await dropConnection(node, phone);
    const laptop = await open(node, 'alice', { device: 'laptop' });
    expect(devices(laptop, 'alice')).toEqual(['laptop', 'phone']);
  });

  it('drop on one node, reconnect on another: friends on both see a join before the leave, never offline', async () => {
    const { nodes } = await start(2);
    const [a, b] = [nodes[0]!, nodes[1]!];
    const bobOnA = await open(a, 'bob', { device: 'bob-a' });
    const bobOnB = await open(b, 'bob', { device: 'bob-b' });
    const phone = await open(a, 'alice', { device: 'phone', status: 'first' });
    await waitFor(() => bobOnA.users().includes('alice') && bobOnB.users().includes('alice'));
    const marks = [bobOnA.received.length, bobOnB.received.length];

    await dropConnection(a, phone);
    expect(a.server.gateway.stats().graced).toBe(1);
    await open(b, 'alice', { device: 'phone', status: 'second' });
    for (const bob of [bobOnA, bobOnB]) {
      await waitFor(
        () =>
          bob
            .metas('alice')
            .map((m) => m['status'])
            .join() === 'second',
        {
          description: 'the new connection replaced the old one',
        },
      );
    }
    expect(a.server.gateway.stats()).toMatchObject({ graced: 0, graceResumed: 1 });
    for (const [i, bob] of [bobOnA, bobOnB].entries()) {
      expect(bob.history.slice(marks[i]).every((users) => users.includes('alice'))).toBe(true);
      const diffs = diffsAbout(bob, 'alice', marks[i]!);
      // Never a leave of alice before the join of her new connection.
      const firstJoin = diffs.findIndex((d) => 'alice' in d.joins);
      const firstLeave = diffs.findIndex((d) => 'alice' in d.leaves);
      expect(firstJoin).toBeGreaterThanOrEqual(0);
      expect(firstJoin).toBeLessThanOrEqual(firstLeave);
    }
  });

  it('a drop noticed after its device came back elsewhere (a ping timeout) is not graced', async () => {
    const { nodes } = await start(2);
    const [a, b] = [nodes[0]!, nodes[1]!];
    const bob = await open(a, 'bob');
    const stale = await open(a, 'alice', { device: 'phone', status: 'stale' });
    // The phone is already back on node b while node a still holds its old connection.
    await open(b, 'alice', { device: 'phone', status: 'back' });
    await waitFor(() => bob.metas('alice').length === 2);
    const mark = bob.history.length;
    await dropConnection(a, stale);
    expect(a.server.gateway.stats().graced).toBe(0);
    await waitFor(
      () =>
        bob
          .metas('alice')
          .map((m) => m['status'])
          .join() === 'back',
      {
        description: 'the stale meta left at once',
      },
    );
    expect(bob.history.slice(mark).every((users) => users.includes('alice'))).toBe(true);
  });

  it('close() announces graced connections at once too', async () => {
    const { nodes } = await start(2);
    const [a, b] = [nodes[0]!, nodes[1]!];
    const bob = await open(b, 'bob');
    const alice = await open(a, 'alice', { device: 'phone' });
    await waitFor(() => bob.users().includes('alice'));
    await dropConnection(a, alice);
    expect(a.server.gateway.stats().graced).toBe(1);
    await a.server.close();
    // The down period is a minute and the grace clock stands still: only the leave explains it.
    await waitFor(() => !bob.users().includes('alice'), { description: 'alice left with node a' });
  });

  it('delivery: a graced entry is no live connection (no false ack); a reconnect within grace gets the message', async () => {
    const { nodes } = await start(2);
    const [a, b] = [nodes[0]!, nodes[1]!];
    const phone = await open(a, 'alice', { device: 'phone' });
    await waitFor(() => b.server.replica.view.get('user:alice', 'alice').length === 1);
    await dropConnection(a, phone);

    // Nobody to ack: the graced entry answers like a stale one, and the fallback decides.
    const unanswered = await b.server.deliver('alice', 'ping', null, { timeoutMs: 300 });
    expect(unanswered).toMatchObject({ delivered: false, fallback: false });

    // Sent while she is away; she comes back (here on node b) before the deadline.
    const pending = a.server.deliver('alice', 'hello', { n: 1 }, { timeoutMs: 10_000 });
    const back = await connect(b.url, 'alice', { device: 'phone' });
    clients.push(back);
    back.socket.on('presence_message', (_message: unknown, ack: () => void) => ack());
    await back.ready();
    expect(await pending).toMatchObject({ delivered: true, connections: 1 });
  });
});
