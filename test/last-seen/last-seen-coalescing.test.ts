/**
 * `presence_last_seen` waits as long as the diff batch window: a friend's last seen of users who
 * leave in different store reads within one window reaches a watching socket as one message at
 * the window's end, not one per read; a user back online by then is left out. The server runs on a
 * manual clock with a 1 s least window, so no window ends until the test moves the clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLastSeenStore } from '../../src/last-seen/index.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { ManualClock, manualServerClock } from '../support/manual-clock.js';
import { waitFor } from '../support/wait-for.js';

/** The memory store, counting the reads that have answered. */
class CountedStore extends MemoryLastSeenStore {
  answered = 0;
  override async get(users: readonly string[]) {
    const answer = await super.get(users);
    this.answered++;
    return answer;
  }
}

let server: TestServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

async function open(user: string): Promise<TestClient> {
  const client = await connect(server!.url, user);
  clients.push(client);
  await client.ready();
  return client;
}

describe('last seen under load', () => {
  it('reaches a socket once per window, with every leave read in it and none of a user back', async () => {
    const manual = new ManualClock();
    const store = new CountedStore();
    server = await startTestServer({
      clock: manualServerClock(manual, Date.now()),
      lastSeen: store,
      leaveGraceMs: 0,
      minBatchDelayMs: 1_000,
      maxBatchDelayMs: 1_000,
    });
    for (const friend of ['alice', 'carol', 'dave']) await server.graph.addEdge('bob', friend);
    const bob = await open('bob');
    const payloads: Record<string, number | null>[] = [];
    bob.socket.on('presence_last_seen', (payload: Record<string, number | null>) =>
      payloads.push(payload),
    );
    const [alice, carol, dave] = [await open('alice'), await open('carol'), await open('dave')];
    await waitFor(() => server!.server.replica.view.count('user:dave') === 1);

    // Three leaves, each read from the store on its own.
    for (const friend of [alice, carol, dave]) {
      const reads = store.answered;
      friend.close();
      await waitFor(() => store.answered > reads);
    }
    // Dave is back before the window ends: his last seen is not sent.
    await open('dave');
    await waitFor(() => server!.server.replica.view.count('user:dave') === 1);
    expect(payloads).toEqual([]);

    manual.advance(1_000);
    await waitFor(() => payloads.length > 0);
    expect(payloads).toHaveLength(1);
    expect(Object.keys(payloads[0]!).sort()).toEqual(['alice', 'carol']);
  });
});
