/**
 * Last seen end to end on one node, over real sockets and the real SDK, with the memory store:
 * friends get a last seen at a last leave and after their state; a user who hides it gives
 * friends null while the backend still reads it; a non-friend never hears of it; time spent
 * invisible never counts as seen; the query answers as each viewer's client sees it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { MemoryLastSeenStore } from '../../src/last-seen/index.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

interface Watched {
  readonly client: PresenceClient;
  readonly offline: [string, number | null][];
  /** Every presence_last_seen payload, as received. */
  readonly lastSeenPayloads: Record<string, number | null>[];
}

let server: TestServer | undefined;
const clients: PresenceClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await server?.close();
  server = undefined;
});

async function start(store = new MemoryLastSeenStore()) {
  server = await startTestServer({ lastSeen: store, offlineDelayMs: 50, leaveGraceMs: 0 });
  await server.graph.addEdge('alice', 'bob');
  await server.graph.addEdge('bob', 'carol');
  return { server, store };
}

async function connect(user: string, options: { invisible?: boolean } = {}): Promise<Watched> {
  const client = createPresenceClient(server!.url, {
    token: await tokenFor(user),
    device: 'test',
    invisible: options.invisible,
    lastSeenWaitMs: 10_000,
    socketOptions: { transports: ['websocket'], reconnection: false, forceNew: true },
  });
  clients.push(client);
  const watched: Watched = { client, offline: [], lastSeenPayloads: [] };
  client.onOffline((id, at) => watched.offline.push([id, at]));
  client.socket.on('presence_last_seen', (payload: Record<string, number | null>) =>
    watched.lastSeenPayloads.push(payload),
  );
  await new Promise<void>((resolve) => client.onSync(() => resolve()));
  return watched;
}

const recorded = async (store: MemoryLastSeenStore, user: string) =>
  (await store.get([user])).get(user)?.lastSeen ?? null;

describe('last seen on one node', () => {
  it('reaches friends at a last leave, is recorded once offline, and comes after a later state', async () => {
    const { store } = await start();
    const alice = await connect('alice');
    const carol = await connect('carol');
    const bob = await connect('bob');
    // Seen online first: a join and a leave still in one outbox cancel out (nothing is sent).
    await waitFor(
      () => alice.client.get('bob') !== undefined && carol.client.get('bob') !== undefined,
    );
    const before = Date.now();
    bob.client.disconnect();

    await waitFor(() => alice.offline.length === 1);
    const [who, at] = alice.offline[0]!;
    expect(who).toBe('bob');
    expect(at).toBeGreaterThanOrEqual(before);
    expect(carol.offline).toEqual([['bob', at]]);
    await waitFor(async () => (await recorded(store, 'bob')) !== null);
    const stored = (await recorded(store, 'bob'))!;
    expect(stored).toBeGreaterThanOrEqual(before);

    // A new connection of a friend gets it after its state; the query agrees with the store.
    const alice2 = await connect('alice');
    await waitFor(() => alice2.client.lastSeenOf('bob') !== undefined);
    expect(alice2.client.lastSeenOf('bob')).toBe(stored);
    const answer = await server!.server.query(['bob'], { as: 'alice' });
    expect(answer.get('bob')).toMatchObject({ online: false, lastSeen: stored });
  });

  it('gives friends null once the user hides it, while the backend still reads it', async () => {
    const { store } = await start();
    const alice = await connect('alice');
    const bob = await connect('bob');
    await waitFor(() => alice.client.get('bob') !== undefined);
    await expect(bob.client.setLastSeenVisibility('everyone' as 'friends')).rejects.toMatchObject({
      code: 'invalid_setting',
    });
    await bob.client.setLastSeenVisibility('nobody');
    bob.client.disconnect();
    await waitFor(() => alice.offline.length === 1);
    expect(alice.offline).toEqual([['bob', null]]);
    await waitFor(async () => (await recorded(store, 'bob')) !== null);

    const alice2 = await connect('alice');
    const asAlice = await server!.server.query(['bob'], { as: 'alice' });
    expect(asAlice.get('bob')?.lastSeen).toBeNull();
    const backend = await server!.server.query(['bob']);
    expect(backend.get('bob')?.lastSeen).toBe(await recorded(store, 'bob'));
    expect(alice2.lastSeenPayloads.flatMap(Object.keys)).not.toContain('bob');
  });

  it('limits setting changes to a few per connection', async () => {
    await start();
    const bob = await connect('bob');
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => bob.client.setLastSeenVisibility('nobody')),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'rate_limited' });
  });

  it('never tells a non-friend', async () => {
    const { store } = await start();
    const erin = await connect('erin');
    const carol = await connect('carol');
    const alice = await connect('alice');
    alice.client.disconnect();
    await waitFor(async () => (await recorded(store, 'alice')) !== null);
    const erin2 = await connect('erin');
    // carol is bob's friend, not alice's: she hears nothing of alice either.
    const carol2 = await connect('carol');
    for (const watched of [erin, carol, erin2, carol2]) {
      expect(watched.lastSeenPayloads.flatMap(Object.keys)).not.toContain('alice');
    }
    expect(
      (await server!.server.query(['alice'], { as: 'erin' })).get('alice')?.lastSeen,
    ).toBeNull();
  });

  it('records the moment a user went invisible, not the time spent hidden', async () => {
    const { store } = await start();
    const alice = await connect('alice');
    const bob = await connect('bob');
    await waitFor(() => alice.client.get('bob') !== undefined);
    const before = Date.now();
    await bob.client.setInvisible(true);
    const after = Date.now();
    await waitFor(() => alice.offline.length === 1);
    await waitFor(async () => (await recorded(store, 'bob')) !== null);
    const hiddenAt = (await recorded(store, 'bob'))!;
    expect(hiddenAt).toBeGreaterThanOrEqual(before);
    expect(hiddenAt).toBeLessThanOrEqual(after + 1_000);
    // Active while hidden: still the same last seen.
    await bob.client.setStatus('busy');
    bob.client.disconnect();
    await waitFor(() => server!.server.replica.view.get('self:bob', 'bob').length === 0);
    expect(await recorded(store, 'bob')).toBe(hiddenAt);
    expect(alice.offline).toEqual([['bob', alice.offline[0]![1]]]);
  });
});
