/**
 * A connecting socket's `presence_state` already holds what the outboxes owe the sockets that
 * were there before it: while a change waits in their outboxes (a window of 1 s on the server's
 * manual clock), a friend who connects gets it in the state and never again as a diff; the
 * friends who were there get it once, when the window ends. The same while a change's parts wait
 * in the fan-out's queue (src/gateway/outbound/fan-out.ts, `settle`). And a friend removed while
 * a change waits never receives it. Real sockets, one node.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PresenceDiff } from '../../src/domain/client-protocol.js';
import type { ServerClock } from '../../src/ports/clock.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { ManualClock } from '../support/manual-clock.js';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const TIMING = {
  broadcastPeriodMs: 50,
  maxSilentPeriods: 2,
  downPeriodMs: 300,
  permdownPeriodMs: 60_000,
};

let manual: ManualClock;
let server: TestServer;
let clients: TestClient[];

function serverClock(clock: ManualClock, wallStart: number): ServerClock {
  return {
    now: () => clock.now(),
    wallNow: () => wallStart + clock.now(),
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
}

async function open(user: string) {
  const client = await connect(server.url, user);
  clients.push(client);
  await client.ready();
  return client;
}

/** Moves the server clock 10 ms at each look until `condition` holds. */
function settle(condition: () => boolean): Promise<void> {
  return waitFor(() => {
    manual.advance(10);
    return condition();
  });
}

const diffsNaming = (client: TestClient, user: string) =>
  client.received.filter(
    (r) =>
      r.event === 'presence_diff' &&
      (user in (r.payload as { joins: object }).joins ||
        user in (r.payload as { leaves: object }).leaves),
  ).length;

beforeEach(async () => {
  manual = new ManualClock();
  server = await startTestServer({
    clock: serverClock(manual, Date.now()),
    minBatchDelayMs: 1_000,
    maxBatchDelayMs: 1_000,
  });
  clients = [];
  await server.graph.addEdge('alice', 'bob');
  await server.graph.addEdge('alice', 'carol');
});

afterEach(async () => {
  for (const client of clients) client.close();
  await server.close();
});

describe('presence_state and the outboxes', () => {
  it('a friend connecting while a change waits gets it in the state, never as a diff after it', async () => {
    const bob = await open('bob');
    const alice = await open('alice');
    await settle(() => bob.users().includes('alice'));
    const bobBefore = diffsNaming(bob, 'alice');

    expect(await alice.update({ status: 'busy' })).toEqual({ ok: true });
    // The change waits in Bob's outbox (its window has not ended on the server clock).
    const carol = await open('carol');
    expect(carol.metas('alice').map((m) => m['status'])).toEqual(['busy']);
    expect(bob.metas('alice').map((m) => m['status'])).toEqual(['online']);

    await settle(() => bob.metas('alice')[0]?.['status'] === 'busy');
    expect(diffsNaming(bob, 'alice')).toBe(bobBefore + 1);
    // Past the window, and then some: Carol was owed nothing of what her state held.
    manual.advance(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(diffsNaming(carol, 'alice')).toBe(0);
    expect(carol.metas('alice').map((m) => m['status'])).toEqual(['busy']);
  });

  it('an edge removed while a change waits in the outbox: the removed friend never receives it', async () => {
    const bob = await open('bob');
    const alice = await open('alice');
    await settle(() => bob.users().includes('alice'));
    expect(await alice.update({ status: 'secret-plans' })).toEqual({ ok: true });
    // The change waits in Bob's outbox; the edge goes before the window ends.
    await server.graph.removeEdge('alice', 'bob');
    await waitFor(() => !bob.users().includes('alice'));
    manual.advance(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const named = JSON.stringify(bob.received.map((r) => r.payload));
    expect(named).not.toContain('secret-plans');
    expect(bob.users()).not.toContain('alice');
  });
});

describe('presence_state and the fan-out queue', () => {
  const FRIENDS = Array.from({ length: 20 }, (_, i) => `f${i}`);

  it('a socket subscribing while a big change waits in the fan-out never gets a diff of what its state holds', async () => {
    await server.close();
    const bus = createInMemoryBus();
    let asked: () => void = () => {};
    let release: () => void = () => {};
    const gateAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    // Zoe's graph answer waits for the down change: she subscribes in the turn that made it.
    const gated = (graph: FriendsGraph): FriendsGraph => ({
      visibleTo: async (user) => {
        if (user === 'zoe') {
          asked();
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        return graph.visibleTo(user);
      },
      subscribe: (listener) => graph.subscribe(listener),
      close: () => graph.close(),
    });
    // One topic per turn: the down change's other topics wait in the fan-out's queue.
    server = await startTestServer({
      transport: bus.createTransport('a'),
      timing: TIMING,
      fanOutSliceMs: 0,
      wrapGraph: gated,
    });
    const b = await startTestServer({
      transport: bus.createTransport('b'),
      timing: TIMING,
      graph: server.graph,
    });
    try {
      for (const f of FRIENDS) {
        await server.graph.addEdge('alice', f);
        await server.graph.addEdge('zoe', f);
      }
      const alice = await open('alice');
      for (const f of FRIENDS) {
        const friend = await connect(b.url, f);
        clients.push(friend);
        await friend.ready();
      }
      await waitFor(() => alice.users().length === FRIENDS.length + 1);

      const zoe = connect(server.url, 'zoe');
      await gateAsked;
      let released = false;
      server.server.replica.on('diff', (change) => {
        if (released || change.leaves.length < FRIENDS.length) return;
        released = true;
        release();
      });
      b.server.replica.stop({ announce: false }); // silent: node a marks it down
      const client = await zoe;
      clients.push(client);
      await client.ready();
      expect(released).toBe(true);
      await waitFor(() => alice.users().length === 1);
      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(client.users()).toEqual(['zoe']);
      // Replayed by ref: no join of a ref Zoe holds, no leave of one she does not.
      const held = new Set<string>();
      for (const r of client.received) {
        if (r.event === 'presence_state') {
          for (const { metas } of Object.values(r.payload))
            for (const m of metas) held.add(String(m['phx_ref']));
          continue;
        }
        if (r.event !== 'presence_diff') continue;
        const { joins, leaves } = r.payload as PresenceDiff;
        for (const { metas } of Object.values(leaves)) {
          for (const m of metas) expect(held.delete(m.phx_ref), `leave of ${m.phx_ref}`).toBe(true);
        }
        for (const { metas } of Object.values(joins)) {
          for (const m of metas) {
            expect(held.has(m.phx_ref), `join of ${m.phx_ref}`).toBe(false);
            held.add(m.phx_ref);
          }
        }
      }
    } finally {
      await b.close();
    }
  });
});
