/**
 * Freshness (issue 11): subscriptions follow the friends graph's change feed, so a change that
 * never arrives (a lost webhook, a relay message dropped between nodes) used to leave a removed
 * friend subscribed for the life of the connection. Each connection is now re-checked against
 * the graph once per `subscriptionRecheck.intervalMs`.
 *
 * The feed here loses every change while `lossy` is on, as a lost webhook would; the graph store
 * itself is changed for real. The re-check rounds run on a manual clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { waitFor } from '../support/wait-for.js';

const INTERVAL_MS = 60_000;

let server: TestServer | undefined;
let clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await server?.close();
  server = undefined;
});

/** The store's real answers, but a change feed that drops changes while `lossy.on`. */
function lossyFeed(lossy: { on: boolean }) {
  return (graph: GraphologyFriendsGraph): FriendsGraph => ({
    visibleTo: (user) => graph.visibleTo(user),
    subscribe: (listener) =>
      graph.subscribe((change) => {
        if (!lossy.on) listener(change);
      }),
    close: () => graph.close(),
  });
}

async function open(user: string) {
  const client = await connect(server!.url, user);
  clients.push(client);
  await client.ready();
  return client;
}

/** Runs one full re-check round: the round starts one interval after the last, a tick a second. */
function recheckRound(clock: ManualClock) {
  clock.advance(INTERVAL_MS + 5_000);
}

describe('periodic subscription re-check', () => {
  it('drops a friend whose removal was never heard, and picks up an added one', async () => {
    const clock = new ManualClock();
    const lossy = { on: false };
    server = await startTestServer({
      wrapGraph: lossyFeed(lossy),
      subscriptionRecheck: { intervalMs: INTERVAL_MS, maxLookupsPerSecond: 1_000, clock },
    });
    await server.graph.addEdge('alice', 'bob');
    const alice = await open('alice');
    const bob = await open('bob');
    const carol = await open('carol');
    await waitFor(() => alice.users().includes('bob') && bob.users().includes('alice'));

    lossy.on = true;
    await server.graph.removeEdge('alice', 'bob');
    await server.graph.addEdge('alice', 'carol');
    // Without the change, alice still sees bob's updates: the stale subscription.
    await bob.update({ status: 'before-recheck' });
    await waitFor(() => alice.metas('bob')[0]?.['status'] === 'before-recheck');
    expect(alice.users()).not.toContain('carol');

    recheckRound(clock);
    await waitFor(
      () =>
        !alice.users().includes('bob') &&
        !bob.users().includes('alice') &&
        alice.users().includes('carol') &&
        carol.users().includes('alice'),
      { description: 'the re-check corrected both missed changes' },
    );
    // The leave named exactly the meta alice held; later updates of bob never reach her.
    await bob.update({ status: 'after-recheck' });
    await carol.update({ status: 'visible' });
    await waitFor(() => alice.metas('carol')[0]?.['status'] === 'visible');
    await waitFor(() => bob.metas('bob')[0]?.['status'] === 'after-recheck');
    expect(JSON.stringify(alice.received)).not.toContain('after-recheck');
    expect(alice.errors()).toEqual([]);
    // alice lost bob and gained carol; bob lost alice; carol gained alice.
    expect(server.server.gateway.stats().subscriptionCorrections).toBe(4);

    // A round with nothing to correct corrects nothing.
    recheckRound(clock);
    await alice.update({ status: 'settled' });
    await waitFor(() => carol.metas('alice')[0]?.['status'] === 'settled');
    expect(server.server.gateway.stats().subscriptionCorrections).toBe(4);
  });

  it('is off with intervalMs 0, and refuses a bad interval', async () => {
    const clock = new ManualClock();
    server = await startTestServer({ subscriptionRecheck: { intervalMs: 0, clock } });
    expect(clock.pending).toBe(0);
    await expect(
      startTestServer({ subscriptionRecheck: { intervalMs: -1 } }),
    ).rejects.toMatchObject({ code: 'PRESENCE_INVALID_OPTION' });
  });
});
