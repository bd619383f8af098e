/**
 * Replication under real faults: a real redis-server started here, three real node processes
 * (load/support/replica-process.ts), each running one TrackerReplica over the Redis transport.
 * Faults are real: SIGKILL, SIGSTOP/SIGCONT, SIGTERM, Redis stopped and started again on the same
 * port, a garbage frame published on the broadcast channel.
 *
 * Short periods (broadcast 50 ms, down 1 s, permdown 5 s) keep the file quick. Nothing here
 * asserts on time: outcomes are awaited with bounded polls, and "at once" (graceful leave, a new
 * incarnation) is asserted through the order of states and events.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DiffEvent,
  nameOfKey,
  REPLICA_CLUSTER_SECRET,
  ReplicaCluster,
  type ReplicaNode,
  type Reply,
} from '../../load/support/replica-cluster.js';
import { encodeEnvelope } from '../../src/transports/bus-envelope.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const BROADCAST_MS = 50;
const DOWN_MS = 1_000;
const PERMDOWN_MS = 5_000;
const NAMES = ['n1', 'n2', 'n3'] as const;
const PER_NODE = 4;
/** Bounded polls: generous, since the 2-core machine is shared; they only bound a failure. */
const CONVERGE_MS = 20_000;

let redis: RedisServer;
let cluster: ReplicaCluster | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterEach(async () => {
  if (!redis.isRunning()) await redis.start();
  await cluster?.dispose();
  cluster = undefined;
});

afterAll(async () => {
  await cluster?.dispose();
  await redis?.dispose();
});

function newCluster(): ReplicaCluster {
  cluster = new ReplicaCluster({
    redisUrl: redis.url,
    broadcastPeriodMs: BROADCAST_MS,
    downPeriodMs: DOWN_MS,
    permdownPeriodMs: PERMDOWN_MS,
  });
  return cluster;
}

/** Each node tracks PER_NODE presences: its own `user:<name>-<i>` topics and one shared room. */
async function trackOwn(node: ReplicaNode, tag = ''): Promise<void> {
  for (let i = 0; i < PER_NODE - 1; i++) {
    const id = `${node.name}${tag}-${i}`;
    await node.call({
      cmd: 'track',
      topic: `user:${id}`,
      key: id,
      conn: `conn-${node.name}`,
      meta: { status: 'online', device: 'web', online_at: i },
    });
  }
  await node.call({
    cmd: 'track',
    topic: 'room:lobby',
    key: `${node.name}${tag}`,
    conn: `conn-${node.name}`,
    meta: { status: 'online' },
  });
}

async function summary(node: ReplicaNode): Promise<Reply & { byReplica: Record<string, number> }> {
  return (await node.call({ cmd: 'summary' })) as Reply & { byReplica: Record<string, number> };
}

/** Visible presences by owner name, without zero counts. */
function visible(reply: { byReplica: Record<string, number> }): Record<string, number> {
  return Object.fromEntries(Object.entries(reply.byReplica).filter(([, count]) => count > 0));
}

async function waitForVisible(
  nodes: readonly ReplicaNode[],
  expected: Record<string, number>,
  description: string,
): Promise<void> {
  let last: Record<string, Record<string, number>> = {};
  try {
    await waitFor(
      async () => {
        const seen = await Promise.all(nodes.map(async (n) => visible(await summary(n))));
        last = Object.fromEntries(nodes.map((n, i) => [n.name, seen[i]!]));
        return seen.every((s) => JSON.stringify(sorted(s)) === JSON.stringify(sorted(expected)));
      },
      { timeoutMs: CONVERGE_MS, intervalMs: 50, description },
    );
  } catch (err) {
    throw new Error(
      `${description}: expected ${JSON.stringify(expected)} everywhere, last seen ${JSON.stringify(last)}`,
      { cause: err },
    );
  }
}

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

const all = (count = PER_NODE) => Object.fromEntries(NAMES.map((name) => [name, count]));

/** Owner names of the presences that left (or joined) in a node's diff events. */
function owners(diffs: readonly DiffEvent[], field: 'leavesBy' | 'joinsBy'): Set<string> {
  const names = new Set<string>();
  for (const diff of diffs) for (const key of Object.keys(diff[field])) names.add(nameOfKey(key));
  return names;
}

function total(diffs: readonly DiffEvent[], field: 'leavesBy' | 'joinsBy', name: string): number {
  let sum = 0;
  for (const diff of diffs) {
    for (const [key, count] of Object.entries(diff[field]))
      if (nameOfKey(key) === name) sum += count;
  }
  return sum;
}

async function startConverged(): Promise<ReplicaNode[]> {
  const nodes = await newCluster().spawnAll(NAMES);
  await Promise.all(nodes.map((node) => trackOwn(node)));
  await waitForVisible(nodes, all(), 'initial convergence');
  return nodes;
}

describe('replication between real processes over a real redis-server', () => {
  it('(a) tracks on every node converge everywhere', async () => {
    const nodes = await startConverged();
    for (const node of nodes) {
      const lobby = (await node.call({ cmd: 'list', topic: 'room:lobby' })) as Reply & {
        presences: { key: string; replica: string }[];
      };
      expect(lobby.presences.map((p) => `${p.replica}:${p.key}`).sort()).toEqual([
        'n1:n1',
        'n2:n2',
        'n3:n3',
      ]);
      const own = (await node.call({ cmd: 'list', topic: 'user:n2-1' })) as Reply & {
        presences: { key: string; meta: Record<string, unknown> }[];
      };
      expect(own.presences).toEqual([
        expect.objectContaining({
          key: 'n2-1',
          meta: { status: 'online', device: 'web', online_at: 1 },
        }),
      ]);
    }
  });

  it('(b) SIGKILL one: its entries leave on the others after the down period, nothing else changes', async () => {
    const [n1, n2, n3] = await startConverged();
    const survivors = [n1!, n2!];
    const marks = survivors.map((node) => node.events.length);
    await n3!.kill();

    await waitForVisible(survivors, { n1: PER_NODE, n2: PER_NODE }, "n3's entries gone");
    survivors.forEach((node, i) => {
      const diffs = node.diffs(marks[i]);
      expect([...owners(diffs, 'leavesBy')], node.name).toEqual(['n3']);
      expect(total(diffs, 'leavesBy', 'n3'), node.name).toBe(PER_NODE);
      expect([...owners(diffs, 'joinsBy')], node.name).toEqual([]);
      // Through the failure detector: n3 went down (it was never announced gone).
      const n3Events = node.replicaEvents(marks[i]).filter((e) => e.name === 'n3');
      expect(n3Events[0]?.type, node.name).toBe('down');
    });
  });

  it('(c) SIGSTOP then SIGCONT one: down on the others, then back with joins, and converged', async () => {
    const [n1, n2, n3] = await startConverged();
    const survivors = [n1!, n2!];
    const marks = survivors.map((node) => node.events.length);
    n3!.signal('SIGSTOP');
    await waitForVisible(survivors, { n1: PER_NODE, n2: PER_NODE }, 'stopped n3 seen down');
    n3!.signal('SIGCONT');
    await waitForVisible([n1!, n2!, n3!], all(), 'converged after SIGCONT');

    survivors.forEach((node, i) => {
      const n3Events = node.replicaEvents(marks[i]).filter((e) => e.name === 'n3');
      expect(
        n3Events.map((e) => e.type),
        node.name,
      ).toEqual(['down', 'up']);
      const diffs = node.diffs(marks[i]);
      expect([...owners(diffs, 'leavesBy')], node.name).toEqual(['n3']);
      expect([...owners(diffs, 'joinsBy')], node.name).toEqual(['n3']);
      expect(total(diffs, 'leavesBy', 'n3'), node.name).toBe(PER_NODE);
      expect(total(diffs, 'joinsBy', 'n3'), node.name).toBe(PER_NODE);
      // The leaves came before the joins.
      const firstJoin = diffs.findIndex((d) => d.joins > 0);
      const lastLeave = diffs.findLastIndex((d) => d.leaves > 0);
      expect(lastLeave, node.name).toBeLessThan(firstJoin);
    });
  });

  it('(d) Redis down for longer than the down period: no mass leave, nothing lost, converged', async () => {
    const nodes = await startConverged();
    const marks = nodes.map((node) => node.events.length);
    const linkDownSeen = (node: ReplicaNode, i: number) =>
      node.events.slice(marks[i]).some((e) => e.event === 'link' && e.up === false);

    await redis.stop();
    await waitFor(() => nodes.every(linkDownSeen), {
      timeoutMs: CONVERGE_MS,
      description: 'every node saw its link go down',
    });
    // Changes made during the outage must reach the others afterwards.
    await nodes[0]!.call({
      cmd: 'track',
      topic: 'user:n1-outage',
      key: 'n1-outage',
      conn: 'conn-n1-outage',
      meta: { status: 'online' },
    });
    await nodes[1]!.call({ cmd: 'untrack', topic: 'user:n2-0', key: 'n2-0', conn: 'conn-n2' });
    // The fault itself needs wall-clock time: the outage must outlast the down period.
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS * 2.5));
    await redis.start();

    await waitForVisible(
      nodes,
      { n1: PER_NODE + 1, n2: PER_NODE - 1, n3: PER_NODE },
      'after Redis is back',
    );
    nodes.forEach((node, i) => {
      const events = node.events.slice(marks[i]);
      expect(
        events.filter((e) => e.event === 'link').map((e) => e.up),
        node.name,
      ).toEqual([false, true]);
      expect(
        node.replicaEvents(marks[i]).filter((e) => e.type !== 'up'),
        `${node.name}: no replica marked down`,
      ).toEqual([]);
      const diffs = node.diffs(marks[i]);
      // The only leave anywhere is n2's own untrack; the only join n1's outage track.
      expect(total(diffs, 'leavesBy', 'n1') + total(diffs, 'leavesBy', 'n3'), node.name).toBe(0);
      expect(total(diffs, 'leavesBy', 'n2'), node.name).toBe(1);
      expect(total(diffs, 'joinsBy', 'n1'), node.name).toBe(1);
      expect(total(diffs, 'joinsBy', 'n2') + total(diffs, 'joinsBy', 'n3'), node.name).toBe(0);
    });
  });

  it('(e) garbage frames on the broadcast channel are dropped; nodes stay up and replicate', async () => {
    const nodes = await startConverged();
    const marks = nodes.map((node) => node.events.length);
    const publisher = new Redis(redis.url);
    try {
      const channel = `${cluster!.prefix}:bcast`;
      await publisher.publish(channel, Buffer.alloc(0)); // no envelope at all
      await publisher.publish(channel, Buffer.from([0, 1, 2, 3])); // an unknown envelope version
      await publisher.publish(channel, Buffer.from([2, 0, 200, 1, 2])); // a sender longer than it
      // Signed with the cluster's secret (a buggy member): valid envelopes around bytes that are
      // not a replication message. Unsigned, the same never reaches the decoder.
      const key = Buffer.from(REPLICA_CLUSTER_SECRET);
      let seq = 0n;
      const envelope = (frame: Uint8Array, secret: Buffer | undefined) =>
        encodeEnvelope(
          {
            kind: 'tracker',
            sender: 'zz',
            target: undefined,
            incarnation: 1n,
            seq: ++seq,
            sentAtMs: Date.now(),
          },
          frame,
          secret,
        );
      const notMessages = [
        Buffer.from([0xc1, 0xff, 0x00, 0x93]),
        Buffer.from('{"type":"leave"}'),
        Buffer.from([0x94, 0x63, 0x01, 0xa1, 0x78]), // a MessagePack array with an unknown version
      ];
      for (const frame of notMessages) await publisher.publish(channel, envelope(frame, key));
      await publisher.publish(channel, envelope(notMessages[0]!, undefined));
    } finally {
      publisher.disconnect();
    }
    await waitFor(
      async () => {
        const seen = await Promise.all(nodes.map((node) => summary(node)));
        return seen.every((s) => {
          const stats = s['stats'] as { framesDropped: number };
          const transport = s['transport'] as {
            framesDroppedMalformed: number;
            framesDroppedUnauthenticated: number;
          };
          return (
            stats.framesDropped >= 3 &&
            transport.framesDroppedMalformed >= 3 &&
            transport.framesDroppedUnauthenticated >= 1
          );
        });
      },
      { timeoutMs: CONVERGE_MS, description: 'every node dropped the garbage frames' },
    );

    await nodes[2]!.call({
      cmd: 'track',
      topic: 'user:n3-after',
      key: 'n3-after',
      conn: 'conn-n3',
      meta: { status: 'online' },
    });
    await waitForVisible(nodes, { ...all(), n3: PER_NODE + 1 }, 'replication after garbage');
    nodes.forEach((node, i) => {
      expect(node.isAlive, node.name).toBe(true);
      expect(
        node.diffs(marks[i]).every((d) => d.leaves === 0),
        node.name,
      ).toBe(true);
      expect(node.replicaEvents(marks[i]), node.name).toEqual([]);
    });
  });

  it('(f) SIGTERM one: a graceful leave, its entries leave on the others at once', async () => {
    const [n1, n2, n3] = await startConverged();
    const survivors = [n1!, n2!];
    const marks = survivors.map((node) => node.events.length);
    expect(await n3!.terminate()).toBe(0);

    for (const node of survivors) {
      // Leaves by silence would hide n3's entries (down) and forget them only after the
      // permdown period; a graceful leave does both in one step. So the first state in which
      // n3's entries are gone must also have forgotten n3.
      let first: Reply | undefined;
      await waitFor(
        async () => {
          const s = await summary(node);
          if ((s.byReplica['n3'] ?? 0) > 0) return false;
          first = s;
          return true;
        },
        { timeoutMs: CONVERGE_MS, description: `${node.name}: n3's entries gone` },
      );
      expect(first!['stored'], node.name).not.toHaveProperty('n3');
      expect(
        (first!['health'] as { name: string }[]).map((r) => r.name),
        node.name,
      ).not.toContain('n3');
    }
    survivors.forEach((node, i) => {
      const events = node.events.slice(marks[i]);
      const n3Events = node.replicaEvents(marks[i]).filter((e) => e.name === 'n3');
      expect(
        n3Events.map((e) => e.type),
        node.name,
      ).toEqual(['down', 'permdown']);
      // down, its leaves, permdown: one step, nothing in between.
      const downAt = events.findIndex((e) => e.event === 'replica' && e['type'] === 'down');
      expect(events[downAt + 1], node.name).toMatchObject({ event: 'diff', leaves: PER_NODE });
      expect(events[downAt + 2], node.name).toMatchObject({ event: 'replica', type: 'permdown' });
      const diffs = node.diffs(marks[i]);
      expect([...owners(diffs, 'leavesBy')], node.name).toEqual(['n3']);
      expect(total(diffs, 'leavesBy', 'n3'), node.name).toBe(PER_NODE);
    });
  });

  it('(g) a killed node restarted under its name: old entries removed everywhere, new ones appear', async () => {
    const [n1, n2, n3] = await startConverged();
    const survivors = [n1!, n2!];
    const oldKey = n3!.key;
    const next = await cluster!.prepare('n3'); // loaded and waiting, so the restart is quick
    const marks = survivors.map((node) => node.events.length);
    await n3!.kill();
    await cluster!.boot(next);
    expect(next.key).not.toBe(oldKey);
    await trackOwn(next, '-new');

    await waitForVisible([n1!, n2!, next], all(), 'new incarnation converged');
    for (const node of [n1!, n2!, next]) {
      const s = await summary(node);
      const replicas = s['replicas'] as { name: string; vsn: number }[];
      expect(
        replicas.filter((r) => r.name === 'n3').map((r) => `${r.name}#${r.vsn}`),
        `${node.name}: only the new incarnation is known`,
      ).toEqual([next.key]);
      const lobby = (await node.call({ cmd: 'list', topic: 'room:lobby' })) as Reply & {
        presences: { key: string }[];
      };
      expect(lobby.presences.map((p) => p.key).sort(), node.name).toEqual(['n1', 'n2', 'n3-new']);
    }
    survivors.forEach((node, i) => {
      const types = node
        .replicaEvents(marks[i])
        .filter((e) => e.name === 'n3')
        .map((e) => `${e.type} ${e.name}#${e.vsn}`);
      // Seeing the new incarnation retires the old one in the same step (whether or not it had
      // already been marked down by silence on a slow machine).
      const permdownOld = types.indexOf(`permdown ${oldKey}`);
      expect(permdownOld, `${node.name}: ${types.join(', ')}`).toBeGreaterThanOrEqual(0);
      expect(types[permdownOld + 1], node.name).toBe(`up ${next.key}`);
      const diffs = node.diffs(marks[i]);
      const leftKeys = new Set(diffs.flatMap((d) => Object.keys(d.leavesBy)));
      expect([...leftKeys], node.name).toEqual([oldKey]);
      expect(total(diffs, 'leavesBy', 'n3'), node.name).toBe(PER_NODE);
      expect(total(diffs, 'joinsBy', 'n3'), node.name).toBe(PER_NODE);
    });
  });
});
