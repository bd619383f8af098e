/**
 * Live graph changes and graph provider failures over real sockets, and our payloads against the
 * `phoenix` package's Presence.syncState / syncDiff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import type { UserId } from '../../src/domain/user-id.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { waitFor } from '../support/wait-for.js';
import { expectedView, normalise } from './support/expected-view.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer | undefined;
let clients: TestClient[] = [];

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(server!.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await server?.close();
  server = undefined;
});

describe('live graph changes', () => {
  it('an added undirected edge sends both users each other as joins; removing it, leaves', async () => {
    server = await startTestServer();
    const alice = await open('alice', { device: 'phone' });
    const alice2 = await open('alice', { device: 'laptop' });
    const bob = await open('bob');
    expect(alice.users()).toEqual(['alice']);
    expect(bob.users()).toEqual(['bob']);

    await server.graph.addEdge('alice', 'bob');
    await waitFor(
      () =>
        alice.users().includes('bob') &&
        alice2.users().includes('bob') &&
        bob.metas('alice').length === 2,
      { description: 'both sides joined' },
    );
    // Later diffs of the new friend arrive.
    await bob.update({ status: 'away' });
    await waitFor(() => alice.metas('bob')[0]?.['status'] === 'away');

    await server.graph.removeEdge('alice', 'bob');
    await waitFor(
      () =>
        !alice.users().includes('bob') &&
        !alice2.users().includes('bob') &&
        !bob.users().includes('alice'),
      { description: 'both sides left' },
    );
    await bob.update({ status: 'gone' });
    await waitFor(() => bob.metas('bob')[0]?.['status'] === 'gone');
    expect(JSON.stringify(alice.received)).not.toContain('gone');
  });

  it('a directed edge affects only its source', async () => {
    server = await startTestServer();
    const judy = await open('judy');
    const alice = await open('alice');
    await server.graph.addEdge('judy', 'alice', { directed: true });
    await waitFor(() => judy.users().includes('alice'));
    await alice.update({ status: 'x' });
    await waitFor(() => judy.metas('alice')[0]?.['status'] === 'x');
    expect(alice.users()).toEqual(['alice']);
  });

  it('removing one edge keeps a friend still visible through another edge', async () => {
    server = await startTestServer();
    await server.graph.addEdge('alice', 'bob');
    await server.graph.addEdge('alice', 'bob', { directed: true });
    const alice = await open('alice');
    await open('bob');
    await waitFor(() => alice.users().includes('bob'));
    await server.graph.removeEdge('alice', 'bob');
    await waitFor(() => alice.users().includes('bob') && alice.received.length >= 3, {
      description: 'bob back through the directed edge',
    });
    expect(alice.users()).toEqual(['alice', 'bob']);
  });
});

/** A graph that fails (throws, rejects or hangs) for chosen users. */
class FlakyGraph implements FriendsGraph {
  readonly failing = new Map<UserId, 'throw' | 'reject' | 'hang' | 'garbage'>();
  constructor(readonly inner: GraphologyFriendsGraph) {}
  visibleTo(userId: UserId): Promise<readonly UserId[]> {
    const mode = this.failing.get(userId);
    if (mode === 'throw')
      throw new Error(`store exploded while reading secret-friend-of-${userId}`);
    if (mode === 'reject') return Promise.reject(new Error('store down'));
    if (mode === 'hang') return new Promise(() => {});
    if (mode === 'garbage') return Promise.resolve([42] as unknown as UserId[]);
    return this.inner.visibleTo(userId);
  }
  subscribe(listener: Parameters<FriendsGraph['subscribe']>[0]) {
    return this.inner.subscribe(listener);
  }
  close() {
    return this.inner.close();
  }
}

describe('graph provider failures', () => {
  for (const mode of ['throw', 'reject', 'hang', 'garbage'] as const) {
    it(`a lookup that fails (${mode}) errors that connection only, and is retried`, async () => {
      const inner = new GraphologyFriendsGraph();
      const graph = new FlakyGraph(inner);
      server = await startTestServer({
        graph,
        graphTimeoutMs: 100,
        graphRetry: { initialDelayMs: 20, maxDelayMs: 40 },
      });
      await inner.addEdge('alice', 'bob');
      await inner.addEdge('carol', 'bob');
      graph.failing.set('carol', mode);
      const carol = await connect(server.url, 'carol');
      clients.push(carol);
      await waitFor(() => carol.errors().length >= 2, { description: 'carol got errors' });
      expect(carol.errors()[0]).toMatchObject({ code: 'graph_unavailable' });
      expect(JSON.stringify(carol.errors())).not.toMatch(/bob|secret|carol/);
      expect(carol.states).toBe(0);

      const alice = await open('alice');
      const bob = await open('bob');
      await waitFor(() => alice.users().includes('bob'));
      expect(bob.users()).toEqual(['alice', 'bob', 'carol']);

      graph.failing.delete('carol');
      await carol.ready();
      expect(carol.users()).toEqual(['bob', 'carol']);
    });
  }

  it('disconnects with a clear reason after maxAttempts failures', async () => {
    const inner = new GraphologyFriendsGraph();
    const graph = new FlakyGraph(inner);
    server = await startTestServer({
      graph,
      graphRetry: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 },
    });
    graph.failing.set('carol', 'reject');
    const carol = await connect(server.url, 'carol');
    clients.push(carol);
    await waitFor(() => !carol.socket.connected, { description: 'carol disconnected' });
    expect(carol.errors().at(-1)?.message).toMatch(/disconnecting/);
    await waitFor(() => server!.server.replica.view.size === 0);
  });
});

describe('phoenix Presence sync', () => {
  it('our payloads, synced by phoenix, equal the server list at every quiescent point', async () => {
    server = await startTestServer();
    const { graph, server: presence } = server;
    await graph.addEdge('alice', 'bob');
    await graph.addEdge('bob', 'carol');
    const visible = (user: string) => graph.visibleToNow(user);
    const phone = await open('alice', { device: 'phone', status: 'online' });
    const bob = await open('bob');
    const carol = await open('carol');
    const laptop = await open('alice', { device: 'laptop' });
    const all = () => [phone, laptop, bob, carol];
    const settled = (description: string) =>
      waitFor(
        () =>
          all().every(
            (c) =>
              !c.socket.connected ||
              JSON.stringify(normalise(c.view)) ===
                JSON.stringify(
                  expectedView(
                    presence.replica,
                    c.user,
                    visible(c.user),
                    presence.gateway.wireRefs,
                  ),
                ),
          ),
        { description },
      );
    await settled('initial');
    expect(normalise(bob.view)['alice']).toHaveLength(2);
    await phone.update({ status: 'away', emoji: '🌴' });
    await settled('update');
    await laptop.update({ invisible: true });
    await settled('invisible');
    await graph.addEdge('alice', 'carol');
    await settled('edge added');
    await laptop.update({ invisible: false, status: 'back' });
    await settled('visible again');
    await graph.removeEdge('alice', 'bob');
    await settled('edge removed');
    phone.close();
    await waitFor(() => presence.replica.view.get('user:alice', 'alice').length === 1);
    await settled('phone gone');
    expect(Object.keys(carol.view).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(normalise(carol.view)['alice']?.[0]).toMatchObject({ device: 'laptop', status: 'back' });
  });
});
