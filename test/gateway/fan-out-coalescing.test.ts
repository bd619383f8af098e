/**
 * Per-socket batching: big changes (a node down, a node's connections arriving by transfer) and
 * many small changes made together reach each socket as one merged presence_diff, and nobody gets
 * a user the graph hides from them in a merged diff. Two gateway nodes on an in-memory bus; the
 * clients' views are synced by phoenix's Presence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const FRIENDS = Array.from({ length: 30 }, (_, i) => `f${i}`);
const timing = {
  broadcastPeriodMs: 50,
  maxSilentPeriods: 2,
  downPeriodMs: 300,
  permdownPeriodMs: 60_000,
};

const servers: TestServer[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function open(server: TestServer, user: string): Promise<TestClient> {
  const client = await connect(server.url, user);
  clients.push(client);
  await client.ready();
  return client;
}

const diffsOf = (client: TestClient) =>
  client.received.filter((r) => r.event === 'presence_diff').length;

async function cluster(fanOutSliceMs?: number) {
  const bus = createInMemoryBus();
  const graph = new GraphologyFriendsGraph();
  for (const f of FRIENDS) await graph.addEdge('alice', f);
  await graph.addEdge('eve', 'f0');
  const a = await startTestServer({
    transport: bus.createTransport('a'),
    timing,
    graph,
    ...(fanOutSliceMs === undefined ? {} : { fanOutSliceMs }),
  });
  const b = await startTestServer({
    transport: bus.createTransport('b'),
    timing,
    graph,
  });
  servers.push(a, b);
  const alice = await open(a, 'alice');
  const eve = await open(a, 'eve');
  const carl = await open(a, 'carl'); // nobody's friend
  return { bus, a, b, alice, eve, carl, graph };
}

async function friendsArriveByTransfer(fanOutSliceMs?: number) {
  const run = await cluster(fanOutSliceMs);
  const { bus, b, alice, eve, carl } = run;
  bus.setLinkUp('b', false);
  for (const f of FRIENDS) await open(b, f);
  const before = { alice: diffsOf(alice), eve: diffsOf(eve), carl: diffsOf(carl) };
  bus.setLinkUp('b', true);
  await waitFor(() => alice.users().length === FRIENDS.length + 1, {
    description: 'alice sees every friend',
  });
  await waitFor(() => eve.users().includes('f0'), { description: 'eve sees f0' });
  return { ...run, before };
}

describe('fan-out of big changes', () => {
  it('a node going down: one merged diff with every leave, per socket', async () => {
    const { b, alice, eve, carl } = await friendsArriveByTransfer();
    const before = { alice: diffsOf(alice), eve: diffsOf(eve), carl: diffsOf(carl) };
    b.server.replica.stop({ announce: false }); // silent: the other node marks it down
    await waitFor(() => alice.users().length === 1, { description: 'alice sees them leave' });
    await waitFor(() => eve.users().length === 1, { description: 'eve sees f0 leave' });
    expect(alice.users()).toEqual(['alice']);
    expect(diffsOf(alice) - before.alice).toBe(1);
    const last = alice.received.at(-1);
    if (last?.event !== 'presence_diff') throw new Error('the last payload is not a diff');
    expect(Object.keys(last.payload)).toEqual(['joins', 'leaves']);
    expect(Object.keys(last.payload.leaves).sort()).toEqual([...FRIENDS].sort());
    expect(diffsOf(eve) - before.eve).toBe(1);
    expect(eve.users()).toEqual(['eve']);
    expect(diffsOf(carl)).toBe(before.carl);
  });

  it('connections arriving by transfer: a few merged diffs, only the visible users in each', async () => {
    const { alice, eve, carl, before } = await friendsArriveByTransfer();
    expect(diffsOf(alice) - before.alice).toBeLessThanOrEqual(3);
    for (const r of eve.received) {
      if (r.event !== 'presence_diff') continue;
      for (const key of Object.keys(r.payload.joins)) expect(['eve', 'f0']).toContain(key);
    }
    expect(eve.users()).toEqual(['eve', 'f0']);
    expect(diffsOf(carl)).toBe(before.carl);
    expect(carl.users()).toEqual(['carl']);
  });

  it('many separate tracker changes in one turn: one message per socket, the same view', async () => {
    const { a, alice, carl } = await cluster();
    const friends = await Promise.all(FRIENDS.map((f) => open(a, f)));
    await waitFor(() => alice.users().length === FRIENDS.length + 1, {
      description: 'alice sees every friend',
    });
    const before = { alice: diffsOf(alice), carl: diffsOf(carl) };
    const { replica } = a.server;
    // One update per friend, each its own tracker change and diff event, in one turn.
    for (const [i, f] of FRIENDS.entries()) {
      const [entry] = replica.view.get(`user:${f}`, f);
      if (entry === undefined) throw new Error(`${f} is not tracked`);
      const conn = friends[i]!.socket.id!;
      expect(replica.update(`user:${f}`, f, conn, { ...entry.meta, status: 'away' }).ok).toBe(true);
    }
    await waitFor(
      () => FRIENDS.every((f) => alice.view[f]?.metas.every((m) => m['status'] === 'away')),
      { description: 'alice sees every friend away' },
    );
    expect(diffsOf(alice) - before.alice).toBe(1);
    const last = alice.received.at(-1);
    if (last?.event !== 'presence_diff') throw new Error('the last payload is not a diff');
    expect(Object.keys(last.payload.joins).sort()).toEqual([...FRIENDS].sort());
    expect(Object.keys(last.payload.leaves).sort()).toEqual([...FRIENDS].sort());
    for (const f of FRIENDS) expect(alice.view[f]?.metas).toHaveLength(1);
    expect(diffsOf(carl)).toBe(before.carl);
  });

  it('a friend removed while a node-down change is still being handed out: the leave still reaches', async () => {
    // One topic per turn: the down change's leaves wait in the fan-out queue for many turns.
    const { b, alice, graph } = await friendsArriveByTransfer(0);
    const { replica } = servers[0]!.server;
    let removed = false;
    replica.on('diff', (change) => {
      // In the very turn of the down change, after the fan-out queued it.
      if (removed || change.leaves.length < FRIENDS.length) return;
      removed = true;
      void graph.removeEdge('alice', 'f29');
    });
    b.server.replica.stop({ announce: false });
    await waitFor(() => removed, { description: 'the down change' });
    await waitFor(() => alice.users().length === 1, { description: 'alice sees them all leave' });
    expect(alice.users()).toEqual(['alice']);
  });
});
