/**
 * `presence_last_seen` waits as long as the diff batch window: the last seen of friends who leave
 * one by one within a window is read from the store once at its end and reaches a watching socket
 * as one message, not one per leave; a user back online by then is left out, and a visibility set
 * during the window is the one applied. The server runs on a manual clock with a 1 s least window,
 * so no window ends until the test moves the clock.
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

    // Three leaves, one after the other (each seen by the tracker before the next).
    const reads = store.answered;
    for (const [friend, user] of [
      [alice, 'alice'],
      [carol, 'carol'],
      [dave, 'dave'],
    ] as const) {
      friend.close();
      await waitFor(() => server!.server.replica.view.count(`user:${user}`) === 0);
    }
    // Carol hides her last seen before the window ends: hers is sent as null.
    await store.setVisibility('carol', 'nobody');
    // Dave is back before the window ends: his last seen is not sent.
    await open('dave');
    await waitFor(() => server!.server.replica.view.count('user:dave') === 1);
    expect(payloads).toEqual([]);
    expect(store.answered).toBe(reads);

    manual.advance(1_000);
    await waitFor(() => payloads.length > 0);
    expect(payloads).toHaveLength(1);
    expect(Object.keys(payloads[0]!).sort()).toEqual(['alice', 'carol']);
    expect(payloads[0]!['carol']).toBeNull();
    expect(typeof payloads[0]!['alice']).toBe('number');
    // One store read for the window's three leaves.
    expect(store.answered).toBe(reads + 1);
  });
});
