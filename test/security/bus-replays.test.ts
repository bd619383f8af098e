/**
 * Replays of genuine signed frames across restarts (issue 21, finding 1): real `graph-presence`
 * processes sharing a cluster secret over a test-owned redis-server, and an attacker who can read
 * and publish on that Redis but holds no secret. A recorder subscribed to every bus channel keeps
 * the raw envelopes; the attacker publishes them again after a node died or restarted:
 *
 * (a) a dead node's tracker frames, replayed to a node started after its death: no ghost;
 * (b) a graph-relay `edge-added` since removed, replayed to the restarted node: no edge;
 * (c) a `deliver` frame, replayed to the same node name after its restart: not shown again.
 *
 * Absence is shown by a marker sent through the same node bus after the replay: the node handles
 * the replayed frames before it (one subscriber connection keeps the order).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransportGraphChangeRelay } from '../../graph-adapters/graphology/transport-change-relay.js';
import type { NodeBus } from '../../src/ports/node-bus.js';
import { decodeMessage } from '../../src/protocol/codec.js';
import { decodeEnvelope, type EnvelopeFields } from '../../src/transports/bus-envelope.js';
import { defaultChannelPrefix } from '../../src/transports/redis-channels.js';
import { createRedisNodeBus } from '../../src/transports/redis-node-bus.js';
import { type CliRun, killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { connectClient, type WatchedClient } from '../cli/support/presence-clients.js';
import { TEST_CLUSTER_SECRET } from '../cli/support/two-nodes.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const JWT_SECRET = 'bus-replays-jwt-secret-of-32-bytes!!';
const ADMIN_TOKEN = 'bus-replays-admin-token';
const PREFIX = defaultChannelPrefix(Buffer.from(TEST_CLUSTER_SECRET));
const WAIT = { timeoutMs: 30_000 };

interface Recorded {
  readonly channel: string;
  readonly bytes: Buffer;
  readonly fields: EnvelopeFields;
}

interface Node {
  run: CliRun;
  url: string;
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  killAll();
});

async function harness() {
  const redis: RedisServer = await startRedisServer();
  cleanups.push(() => redis.dispose());
  const attacker = new Redis(redis.url);
  const listener = new Redis(redis.url);
  cleanups.push(() => {
    attacker.disconnect();
    listener.disconnect();
  });
  const recorded: Recorded[] = [];
  listener.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    const envelope = decodeEnvelope(message);
    if (envelope.ok) {
      const { kind, sender, target, incarnation, seq, sentAtMs } = envelope;
      const fields = { kind, sender, target, incarnation, seq, sentAtMs };
      recorded.push({ channel: channel.toString(), bytes: Buffer.from(message), fields });
    }
  });
  await listener.psubscribe(`${PREFIX}:*`);

  const startNode = async (name: string): Promise<Node> => {
    const node = await startCli(
      [
        ...['--port', '0', '--redis', redis.url, '--node-name', name, '--demo'],
        ...['--jwt-secret', JWT_SECRET, '--admin-token', ADMIN_TOKEN],
        ...['--broadcast-period-ms', '100', '--down-period-ms', '60000'],
        ...['--permdown-period-ms', '120000'],
      ],
      { PRESENCE_CLUSTER_SECRET: TEST_CLUSTER_SECRET },
    );
    cleanups.push(() => stopCli(node.run));
    return node;
  };
  const replay = async (frames: readonly Recorded[]) => {
    for (const frame of frames) await attacker.publish(frame.channel, frame.bytes);
  };
  return { redis, recorded, startNode, replay };
}

const ADMIN_HEADERS = {
  authorization: `Bearer ${ADMIN_TOKEN}`,
  'content-type': 'application/json',
};

async function onlineAt(node: Node, user: string): Promise<boolean> {
  const response = await fetch(`${node.url}/admin/presence?users=${user}`, {
    headers: ADMIN_HEADERS,
  });
  const body = (await response.json()) as { users: Record<string, { online: boolean }> };
  return body.users[user]?.online === true;
}

async function client(node: Node, user: string): Promise<WatchedClient> {
  const watched = await connectClient(node.url, user);
  cleanups.push(() => watched.client.disconnect());
  return watched;
}

async function deliver(node: Node, user: string, event: string): Promise<void> {
  const response = await fetch(`${node.url}/admin/deliver`, {
    method: 'POST',
    headers: ADMIN_HEADERS,
    body: JSON.stringify({ user, event, payload: { event } }),
  });
  expect(response.status).toBe(200);
}

describe('replayed frames across restarts (real nodes, a recorder and an attacker on Redis)', () => {
  it("(a) a dead node's recorded tracker frames, replayed to a node started later, raise no ghost", async () => {
    const { recorded, startNode, replay } = await harness();
    const node1 = await startNode('node-1');
    const node2 = await startNode('node-2');
    const carol = await client(node1, 'carol');
    const bob = await client(node2, 'bob');
    await waitFor(() => carol.users().includes('bob'), { ...WAIT, description: 'carol sees bob' });
    bob.client.disconnect();
    // Killed: it never announces a leave, so its recorded frames end with bob online.
    await stopCli(node2.run, 'SIGKILL');
    const fromNodeTwo = recorded.filter(
      (frame) => frame.fields.sender === 'node-2' && frame.fields.kind === 'tracker',
    );
    expect(fromNodeTwo.some((frame) => isBroadcast(frame) && carriesBob(frame))).toBe(true);

    const node3 = await startNode('node-3');
    const alice = await client(node3, 'alice');
    await waitFor(() => alice.users().includes('carol'), {
      ...WAIT,
      description: 'alice sees carol',
    });
    await replay(fromNodeTwo.filter(isBroadcast));
    const marker = 'after-the-replay';
    await carol.client.setStatus(marker);
    await waitFor(() => alice.status('carol').includes(marker), {
      ...WAIT,
      description: "alice sees carol's marker",
    });
    expect(alice.users()).toEqual(['alice', 'carol']);
    expect(alice.seen.has('bob')).toBe(false);
    expect(await onlineAt(node3, 'bob')).toBe(false);
  }, 150_000);

  it('(b) a recorded graph-relay edge-added, since removed, replayed to a restarted node adds no edge', async () => {
    const { redis, recorded, startNode, replay } = await harness();
    let node1 = await startNode('node-1');
    // A cluster member that edits the graph (a library node with its own relay): genuine frames.
    const editorBus: NodeBus = createRedisNodeBus({
      url: redis.url,
      selfId: 'graph-editor',
      clusterSecret: TEST_CLUSTER_SECRET,
    });
    cleanups.push(() => editorBus.close());
    await waitFor(() => editorBus.isLinkUp(), { ...WAIT, description: 'the editor on the bus' });
    const editor = createTransportGraphChangeRelay(editorBus.channel('graph'));
    const edge = (kind: 'edge-added' | 'edge-removed', target: string) =>
      editor.publish({ kind, source: 'alice', target, directed: false });

    let alice = await client(node1, 'alice');
    let heidi = await client(node1, 'heidi');
    edge('edge-added', 'heidi');
    await waitFor(() => alice.users().includes('heidi'), { ...WAIT, description: 'the edge' });
    edge('edge-removed', 'heidi');
    await waitFor(() => !alice.users().includes('heidi'), { ...WAIT, description: 'no edge' });
    const added = recorded.filter(
      (frame) => frame.fields.sender === 'graph-editor' && frame.fields.kind === 'graph',
    )[0];
    expect(added).toBeDefined();

    alice.client.disconnect();
    heidi.client.disconnect();
    await stopCli(node1.run);
    node1 = await startNode('node-1');
    alice = await client(node1, 'alice');
    heidi = await client(node1, 'heidi');
    const ivan = await client(node1, 'ivan');
    await replay([added as Recorded]);
    // The marker: a fresh edge from the same editor, after the replay.
    edge('edge-added', 'ivan');
    await waitFor(() => alice.users().includes('ivan'), { ...WAIT, description: 'the marker' });
    expect(alice.users()).toEqual(['alice', 'ivan']);
    expect(alice.seen.has('heidi')).toBe(false);
    expect(heidi.seen.has('alice')).toBe(false);
    expect(ivan.users()).toContain('alice');
  }, 150_000);

  it('(c) a recorded deliver frame, replayed to the same node name after its restart, is not shown again', async () => {
    const { recorded, startNode, replay } = await harness();
    let node1 = await startNode('node-1');
    let node2 = await startNode('node-2');
    let alice = await client(node1, 'alice');
    const shown: string[] = [];
    alice.client.onMessage((message) => shown.push(message.event));
    await waitFor(() => onlineAt(node2, 'alice'), { ...WAIT, description: 'node 2 sees alice' });
    await deliver(node2, 'alice', 'one-time-code');
    await waitFor(() => shown.includes('one-time-code'), { ...WAIT, description: 'the code' });
    const deliverFrames = recorded.filter(
      (frame) =>
        frame.fields.sender === 'node-2' &&
        frame.fields.kind === 'delivery' &&
        frame.fields.target === 'node-1',
    );
    expect(deliverFrames.length).toBeGreaterThan(0);

    alice.client.disconnect();
    await stopCli(node2.run);
    await stopCli(node1.run);
    node1 = await startNode('node-1');
    alice = await client(node1, 'alice');
    const shownAfter: string[] = [];
    alice.client.onMessage((message) => shownAfter.push(message.event));
    await replay(deliverFrames);
    // The marker: a new delivery through a restarted node 2, after the replay.
    node2 = await startNode('node-2');
    await waitFor(() => onlineAt(node2, 'alice'), { ...WAIT, description: 'node 2 sees alice' });
    await deliver(node2, 'alice', 'marker');
    await waitFor(() => shownAfter.includes('marker'), { ...WAIT, description: 'the marker' });
    expect(shownAfter).toEqual(['marker']);
  }, 150_000);
});

function isBroadcast(frame: Recorded): boolean {
  return frame.fields.target === undefined;
}

function carriesBob(frame: Recorded): boolean {
  const envelope = decodeEnvelope(frame.bytes);
  if (!envelope.ok) return false;
  const message = decodeMessage(envelope.frame);
  return message.ok && JSON.stringify(message.message, replacer).includes('user:bob');
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}
