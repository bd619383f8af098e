/**
 * A last-seen store that is down never blocks presence: with the Redis store's server killed,
 * users still connect and get their state, a friend's leave still reaches them (with a null last
 * seen: unknown, so nothing is revealed), setting the visibility answers `unavailable`, and the
 * query answers `lastSeen: null`. When Redis is back, last seen is recorded and sent again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { RedisLastSeenStore } from '../../src/last-seen/index.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

let redis: RedisServer | undefined;
let store: RedisLastSeenStore | undefined;
let server: TestServer | undefined;
const clients: PresenceClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await server?.close();
  await store?.close();
  await redis?.dispose();
});

async function connect(user: string) {
  const client = createPresenceClient(server!.url, {
    token: await tokenFor(user),
    lastSeenWaitMs: 30_000,
    socketOptions: { transports: ['websocket'], reconnection: false, forceNew: true },
  });
  clients.push(client);
  const offline: [string, number | null][] = [];
  client.onOffline((id, at) => offline.push([id, at]));
  await new Promise<void>((resolve) => client.onSync(() => resolve()));
  return { client, offline };
}

describe('last seen while its store is down', () => {
  it('never blocks presence, answers unknown, and recovers', async () => {
    redis = await startRedisServer();
    store = await RedisLastSeenStore.connect({ url: redis.url, timeoutMs: 500 });
    server = await startTestServer({ lastSeen: store, offlineDelayMs: 50, leaveGraceMs: 0 });
    await server.graph.addEdge('alice', 'bob');
    await store.record('bob', 1_000);
    await redis.stop({ signal: 'SIGKILL' });

    const alice = await connect('alice');
    const bob = await connect('bob');
    await waitFor(() => alice.client.get('bob') !== undefined);
    await expect(bob.client.setLastSeenVisibility('nobody')).rejects.toMatchObject({
      code: 'unavailable',
    });
    bob.client.disconnect();
    await waitFor(() => alice.offline.length === 1, { timeoutMs: 10_000 });
    expect(alice.offline).toEqual([['bob', null]]);
    expect((await server.server.query(['bob'], { as: 'alice' })).get('bob')?.lastSeen).toBeNull();
    await waitFor(() => (server!.server.lastSeenStats?.writes.failures ?? 0) > 0);

    // The test's redis-server keeps nothing on disk: it comes back empty, and the store with it.
    await redis.start();
    await waitFor(() =>
      store!.record('carol', 1).then(
        () => true,
        () => false,
      ),
    );
    const bob2 = await connect('bob');
    await waitFor(() => alice.client.get('bob') !== undefined);
    bob2.client.disconnect();
    await waitFor(() => alice.offline.length === 2, { timeoutMs: 10_000 });
    expect(alice.offline[1]![1]).toEqual(expect.any(Number));
    await waitFor(async () => {
      const answer = await server!.server.query(['bob'], { as: 'alice' });
      return typeof answer.get('bob')?.lastSeen === 'number';
    });
  });
});
