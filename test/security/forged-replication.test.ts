/**
 * Forged replication messages from a member of the network that has no business speaking for
 * others (no cluster secret here: what the runtime and the gateway refuse on their own). Two real
 * presence servers on an in-memory bus, real socket.io clients, and "mallory", a third member of
 * the bus that sends frames built with the codec.
 *
 * Absence is never asserted by waiting: after each forged frame mallory sends a valid marker on
 * the same path (per-sender order), and once the marker is in, the forgery would have been too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type EntryData, type ReplicaRef, replicaKey } from '../../src/core/index.js';
import type { ReplicationTransport } from '../../src/ports/bus-channel.js';
import { encodeMessage } from '../../src/protocol/codec.js';
import type { ReplicationMessage } from '../../src/protocol/messages.js';
import { packr } from '../../src/protocol/wire-layout.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { connect } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

const TIMING = { broadcastPeriodMs: 20, downPeriodMs: 60_000, permdownPeriodMs: 120_000 };
const MALLORY: ReplicaRef = { name: 'mallory', vsn: 1 };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Node a (bob, a friend of alice and carol), node b (alice), mallory on the same bus. */
async function setUp() {
  const bus = createInMemoryBus();
  const nodes: TestServer[] = [];
  for (const name of ['node-a', 'node-b']) {
    const node = await startTestServer({ transport: bus.createTransport(name), timing: TIMING });
    for (const friend of ['alice', 'carol', 'eve']) await node.graph.addEdge('bob', friend);
    cleanups.push(() => node.close());
    nodes.push(node);
  }
  const [a, b] = nodes as [TestServer, TestServer];
  const mallory = bus.createTransport('mallory');
  cleanups.push(() => mallory.close());
  const bob = await connect(a.url, 'bob');
  const alice = await connect(b.url, 'alice');
  cleanups.push(
    () => bob.close(),
    () => alice.close(),
  );
  await waitFor(() => bob.users().includes('alice'), { description: 'bob sees alice' });
  return { a, b, mallory, bob };
}

/** Sends mallory's own heartbeats, counting its counter like a real replica. */
function forger(mallory: ReplicationTransport) {
  let context = 0;
  const heartbeat = (delta: Extract<ReplicationMessage, { type: 'heartbeat' }>['delta']) => {
    const message: ReplicationMessage = {
      type: 'heartbeat',
      from: MALLORY,
      clock: new Map([[replicaKey(MALLORY), context]]),
      delta,
    };
    mallory.broadcast(encodeMessage(message));
  };
  return {
    send(message: ReplicationMessage) {
      mallory.broadcast(encodeMessage(message));
    },
    /** A delta of mallory's own adding one entry per user (on `user:<id>` unless given). */
    track(users: ReadonlyArray<string | { topic: string; key: string }>) {
      const adds: EntryData[] = users.map((user) => ({
        topic: typeof user === 'string' ? `user:${user}` : user.topic,
        key: typeof user === 'string' ? user : user.key,
        meta: { status: 'online' },
        counter: ++context,
        prev: 0,
      }));
      heartbeat({ replica: MALLORY, from: context - adds.length, to: context, adds, removes: [] });
    },
    raw: heartbeat,
  };
}

/** The frame with one msgpack string replaced, re-encoded with the codec's own msgpack settings. */
function replaceString(frame: Uint8Array, from: string, to: string): Uint8Array {
  const swap = (value: unknown): unknown => {
    if (value === from) return to;
    if (Array.isArray(value)) return value.map(swap);
    if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, swap(v)]));
    return value;
  };
  return packr.pack(swap(packr.unpack(frame)));
}

describe('forged replication messages without a cluster secret', () => {
  it('refuses a leave for a replica other than its sender', async () => {
    const { a, b, mallory, bob } = await setUp();
    const nodeB = b.server.replica.ref;
    const forged = forger(mallory);
    const before = bob.history.length;
    forged.send({ type: 'leave', from: nodeB });
    forged.track(['carol']);
    await waitFor(() => bob.users().includes('carol'), { description: 'the marker' });
    expect(a.server.replica.health.all().find((r) => r.ref.name === 'node-b')?.status).toBe('up');
    expect(a.server.replica.view.get('user:alice', 'alice')).toHaveLength(1);
    expect(bob.history.slice(before).every((users) => users.includes('alice'))).toBe(true);
    expect(a.server.replica.stats.framesRefused).toBe(1);
    expect(nodeB.name).toBe('node-b');
  });

  it("refuses a heartbeat whose delta is another replica's window", async () => {
    const { a, b, mallory, bob } = await setUp();
    const nodeB = b.server.replica.ref;
    const context = a.server.replica.view.clock().get(replicaKey(nodeB)) ?? 0;
    const forged = forger(mallory);
    // Mallory speaks as itself but slips node-b's next window in: eve "online on node-b".
    forged.raw({
      replica: nodeB,
      from: context,
      to: context + 1,
      adds: [
        {
          topic: 'user:eve',
          key: 'eve',
          meta: { status: 'online' },
          counter: context + 1,
          prev: 0,
        },
      ],
      removes: [],
    });
    forged.track(['carol']);
    await waitFor(() => bob.users().includes('carol'), { description: 'the marker' });
    expect(a.server.replica.view.get('user:eve', 'eve')).toEqual([]);
    expect(bob.history.some((users) => users.includes('eve'))).toBe(false);
    expect(a.server.replica.stats.framesRefused).toBe(1);
  });

  it("drops a frame whose meta exceeds the gateway's limit", async () => {
    const { a, mallory, bob } = await setUp();
    const forged = forger(mallory);
    // Built as the codec would, then the meta swapped (the encoder refuses to send one this big).
    const frame = encodeMessage({
      type: 'heartbeat',
      from: MALLORY,
      clock: new Map([[replicaKey(MALLORY), 1]]),
      delta: {
        replica: MALLORY,
        from: 0,
        to: 1,
        adds: [
          { topic: 'user:eve', key: 'eve', meta: { status: 'PLACEHOLDER' }, counter: 1, prev: 0 },
        ],
        removes: [],
      },
    });
    mallory.broadcast(replaceString(frame, 'PLACEHOLDER', 'x'.repeat(300_000)));
    forged.track(['carol']);
    await waitFor(() => bob.users().includes('carol'), { description: 'the marker' });
    expect(a.server.replica.view.get('user:eve', 'eve')).toEqual([]);
    expect(bob.history.some((users) => users.includes('eve'))).toBe(false);
    expect(a.server.replica.stats.framesDropped).toBeGreaterThanOrEqual(1);
  });

  it("never sends a client an entry whose key is not its topic's", async () => {
    const { a, mallory, bob } = await setUp();
    const forged = forger(mallory);
    // Under alice's topic (bob's friend) but keyed eve: "eve online", with alice's audience.
    const seen: unknown[] = [];
    bob.socket.on('presence_diff', (diff: { joins: Record<string, unknown> }) => {
      seen.push(...Object.keys(diff.joins));
    });
    forged.track([{ topic: 'user:alice', key: 'mallory' }]);
    forged.track(['carol']);
    await waitFor(() => bob.users().includes('carol'), { description: 'the marker' });
    expect(seen).not.toContain('mallory');
    expect(bob.history.some((users) => users.includes('mallory'))).toBe(false);
    expect(a.server.gateway.stats().foreignKeyEntries).toBe(1);
  });
});
