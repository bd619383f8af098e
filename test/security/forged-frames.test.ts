/**
 * Forged frames on the Redis channels of a cluster whose nodes share a cluster secret: two real
 * `graph-presence` processes over a real redis-server, real socket.io clients (alice and bob are
 * friends; heidi is neither's), and a third publisher, a plain ioredis connection, that builds
 * frames as docs/cluster-wire-format.md describes, without the secret and with a wrong one:
 *
 * - a fake presence for bob through a forged replica (one with a small meta, one with 300 KB);
 * - a `presence_message` to alice;
 * - a graph edge alice–heidi through the relay;
 * - a leave for node 2, the real replica (its name and vsn read off the channel);
 * - a genuine signed frame of node 2 captured on the channel and published again (a replay).
 *
 * No client may see any of it, and both nodes count the drops in /metrics. Absence is shown by a
 * marker: bob's status change is published by node 2 after every forged frame was published, so
 * node 1 handles them all before it, and alice's view shows the marker only after.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicaRef } from '../../src/core/index.js';
import { encodeDeliveryFrame } from '../../src/delivery/delivery-frames.js';
import type { BusChannelKind } from '../../src/ports/node-bus.js';
import { decodeMessage, encodeMessage } from '../../src/protocol/codec.js';
import { packr } from '../../src/protocol/wire-layout.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/transports/bus-envelope.js';
import { defaultChannelPrefix } from '../../src/transports/redis-channels.js';
import { connectClient, type WatchedClient } from '../cli/support/presence-clients.js';
import { startTwoNodes, TEST_CLUSTER_SECRET, type TwoNodes } from '../cli/support/two-nodes.js';
import { waitFor } from '../support/wait-for.js';

const JWT_SECRET = 'forged-frames-jwt-secret-of-32-bytes';
const ADMIN_TOKEN = 'forged-frames-admin-token';
// The cluster's channels: their prefix is derived from the secret, but anyone on this Redis can
// list them (PUBSUB CHANNELS), so the attacker knows it.
const PREFIX = defaultChannelPrefix(Buffer.from(TEST_CLUSTER_SECRET));
const BCAST = `${PREFIX}:bcast`;
const MALLORY: ReplicaRef = { name: 'mallory', vsn: 1 };

let cluster: TwoNodes;
let attacker: Redis;
let alice: WatchedClient;
let bob: WatchedClient;
let heidi: WatchedClient;
const messagesToAlice: unknown[] = [];
let nodeTwo: ReplicaRef;
let capturedFromNodeTwo: Buffer;

beforeAll(async () => {
  cluster = await startTwoNodes({
    secret: JWT_SECRET,
    extraArgs: ['--admin-token', ADMIN_TOKEN],
  });
  attacker = new Redis(cluster.redis.url);
  // What anyone on this Redis can read: node 2's heartbeats, its name and vsn, a signed envelope.
  const listener = new Redis(cluster.redis.url);
  await listener.subscribe(BCAST);
  const captured = new Promise<Buffer>((resolve) => {
    listener.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      const envelope = decodeEnvelope(message);
      if (envelope.ok && envelope.sender === 'node-2' && envelope.kind === 'tracker') {
        resolve(Buffer.from(message));
      }
    });
  });
  capturedFromNodeTwo = await captured;
  listener.disconnect();
  const envelope = decodeEnvelope(capturedFromNodeTwo);
  const message = envelope.ok ? decodeMessage(envelope.frame) : undefined;
  if (!message?.ok) throw new Error('could not read node 2 off the channel');
  nodeTwo = message.message.from;

  alice = await connectClient(cluster.node1.url, 'alice');
  heidi = await connectClient(cluster.node1.url, 'heidi');
  bob = await connectClient(cluster.node2.url, 'bob');
  alice.client.onMessage((message) => messagesToAlice.push(message));
  await waitFor(() => alice.users().includes('bob') && bob.users().includes('alice'), {
    timeoutMs: 10_000,
    description: 'alice and bob see each other',
  });
}, 60_000);

afterAll(async () => {
  for (const client of [alice, bob, heidi]) client?.client.disconnect();
  attacker?.disconnect();
  await cluster?.stop();
});

/** Publishes an envelope as docs/cluster-wire-format.md describes it, signed with `secret` when given. */
let seq = 0n;
async function publish(
  channel: string,
  kind: BusChannelKind,
  sender: string,
  target: string | undefined,
  frame: Uint8Array,
  secret: string | undefined,
): Promise<void> {
  seq += 1n;
  const envelope = encodeEnvelope(
    { kind, sender, target, incarnation: BigInt(Date.now()) << 20n, seq, sentAtMs: Date.now() },
    frame,
    secret === undefined ? undefined : Buffer.from(secret),
  );
  await attacker.publish(channel, envelope);
}

/** A heartbeat of the forged replica mallory whose delta puts `meta` under bob's topic. */
function fakePresence(meta: Record<string, unknown>, counter: number): Uint8Array {
  const frame = encodeMessage({
    type: 'heartbeat',
    from: MALLORY,
    clock: new Map([[`${MALLORY.name}#${MALLORY.vsn}`, counter]]),
    delta: {
      replica: MALLORY,
      from: counter - 1,
      to: counter,
      adds: [{ topic: 'user:bob', key: 'bob', meta: { status: 'PLACEHOLDER' }, counter, prev: 0 }],
      removes: [],
    },
  });
  // The encoder refuses to build an over-size meta: swap it in after.
  const swap = (value: unknown): unknown => {
    if (value instanceof Map && value.get('status') === 'PLACEHOLDER')
      return new Map(Object.entries(meta));
    if (Array.isArray(value)) return value.map(swap);
    return value;
  };
  return packr.pack(swap(packr.unpack(frame)));
}

async function metric(url: string, reason: string): Promise<number> {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`presence_transport_frames_dropped_total{reason="${reason}"}`));
  return Number(line?.split(' ').pop() ?? Number.NaN);
}

describe('forged frames on the Redis channels of a cluster with a cluster secret', () => {
  for (const [label, secret] of [
    ['without a secret', undefined],
    ['with a wrong secret', randomBytes(32).toString('hex')],
  ] as const) {
    it(`drops every forged frame ${label}, and no client sees any of it`, async () => {
      const before = await Promise.all(
        [cluster.node1.url, cluster.node2.url].map((url) => metric(url, 'unauthenticated')),
      );
      const forged: Array<[string, BusChannelKind, string, string | undefined, Uint8Array]> = [
        [BCAST, 'tracker', 'mallory', undefined, fakePresence({ status: 'FORGED' }, 1)],
        [
          BCAST,
          'tracker',
          'mallory',
          undefined,
          fakePresence({ status: 'FORGED', pad: 'x'.repeat(300_000) }, 2),
        ],
        [
          `${PREFIX}:to:node-1`,
          'delivery',
          'node-2',
          'node-1',
          encodeDeliveryFrame({
            kind: 'deliver',
            id: 'forged-1',
            origin: 'node-2',
            userId: 'alice',
            event: 'security',
            payloadJson: JSON.stringify({ text: 'your account is locked, log in at evil.example' }),
            flags: 0,
            ackTimeoutMs: 1000,
          }),
        ],
        [
          BCAST,
          'graph',
          'node-2',
          undefined,
          Buffer.from(
            JSON.stringify({
              kind: 'edge-added',
              source: 'alice',
              target: 'heidi',
              directed: false,
            }),
          ),
        ],
        [BCAST, 'tracker', 'node-2', undefined, encodeMessage({ type: 'leave', from: nodeTwo })],
      ];
      for (const frame of forged) await publish(...frame, secret);
      await attacker.publish(BCAST, capturedFromNodeTwo);

      const marker = `marker-${label}`;
      await bob.client.setStatus(marker);
      await waitFor(() => alice.status('bob').includes(marker), {
        timeoutMs: 10_000,
        description: "alice sees bob's marker status",
      });
      expect(alice.status('bob')).toEqual([marker]);
      expect(alice.users()).toEqual(['alice', 'bob']);
      expect(alice.seen.has('heidi')).toBe(false);
      expect(heidi.seen.has('alice')).toBe(false);
      expect(messagesToAlice).toEqual([]);
      for (const url of [cluster.node1.url, cluster.node2.url]) {
        const friends = await (await fetch(`${url}/demo/friends?user=alice`)).json();
        expect((friends as { friends: string[] }).friends).not.toContain('heidi');
        const health = (await (await fetch(`${url}/healthz`)).json()) as {
          replicas: { up: number; down: number };
        };
        expect(health.replicas.up).toBe(1);
      }
      const after = await Promise.all(
        [cluster.node1.url, cluster.node2.url].map((url) => metric(url, 'unauthenticated')),
      );
      // Node 1 checks every forged frame; node 2 the broadcasts not claiming to be its own
      // (those it takes for Redis's echo of its own and ignores unread).
      expect(after[0]! - before[0]!).toBe(forged.length);
      expect(after[1]! - before[1]!).toBe(2);
      expect(await metric(cluster.node1.url, 'replayed')).toBeGreaterThanOrEqual(1);
    });
  }

  it('the nodes were started with the secret, so frames between them pass', () => {
    expect(TEST_CLUSTER_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(bob.status('alice').length).toBe(1);
  });
});
