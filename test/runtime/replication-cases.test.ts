/**
 * Phoenix's shard tests (phoenix_pubsub `test/phoenix/tracker/shard_test.exs` option checks,
 * `shard_replication_test.exs` replication cases), on a simulated network with a fake clock, so
 * each case is deterministic. A spy decodes every frame a replica receives.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { decodeMessage } from '../../src/protocol/codec.js';
import type { ReplicationMessage } from '../../src/protocol/messages.js';
import { resolveTiming } from '../../src/runtime/replica-options.js';
import { type ReplicaEvent, TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { SimNetwork, SimWorld } from '../simulation/sim-network.js';
import { seededRandom } from '../support/seeded-random.js';

const TIMING = {
  broadcastPeriodMs: 100,
  maxSilentPeriods: 2,
  downPeriodMs: 500,
  permdownPeriodMs: 1_500,
};

function cluster() {
  const world = new SimWorld();
  const network = new SimNetwork(world, seededRandom(7));
  let vsn = 1;
  const boot = (name: string) => {
    const transport = network.join(name);
    const received: ReplicationMessage[] = [];
    const events: ReplicaEvent[] = [];
    const joins: string[] = [];
    const leaves: string[] = [];
    transport.onFrame((frame) => {
      const decoded = decodeMessage(frame);
      if (decoded.ok) received.push(decoded.message);
    });
    const replica = new TrackerReplica({
      ...TIMING,
      name,
      vsn: vsn++,
      transport,
      clock: world,
      timers: world,
      random: () => 0,
    });
    replica.on('replica', (e) => events.push(e));
    replica.on('diff', (c) => {
      joins.push(...c.joins.map((p) => `${p.topic}/${p.key}`));
      leaves.push(...c.leaves.map((p) => `${p.topic}/${p.key}`));
    });
    replica.start();
    return { replica, transport, received, events, joins, leaves };
  };
  return { world, network, boot };
}

const list = (r: TrackerReplica, topic: string) =>
  r.view
    .list(topic)
    .map((p) => p.key)
    .sort();

describe('options (Phoenix shard_test)', () => {
  it('validates down_period', () => {
    expect(() => resolveTiming({ broadcastPeriodMs: 1000, downPeriodMs: 1999 })).toThrow(
      InvalidOptionError,
    );
    expect(() => resolveTiming({ broadcastPeriodMs: 1000, downPeriodMs: 1999 })).toThrow(
      /downPeriodMs/,
    );
  });

  it('validates permdown_period', () => {
    expect(() => resolveTiming({ downPeriodMs: 30_000, permdownPeriodMs: 30_000 })).toThrow(
      /permdownPeriodMs/,
    );
  });

  it('keeps Phoenix defaults', () => {
    expect(resolveTiming()).toMatchObject({
      broadcastPeriodMs: 1500,
      maxSilentPeriods: 10,
      downPeriodMs: 30_000,
      permdownPeriodMs: 1_200_000,
    });
  });
});

describe('replication (Phoenix shard_replication_test)', () => {
  it('heartbeats: an idle replica keeps emitting them', () => {
    const { world, boot } = cluster();
    const a = boot('a');
    const b = boot('b');
    world.advance(2_000);
    const heartbeats = b.received.filter((m) => m.type === 'heartbeat' && m.from.name === 'a');
    expect(heartbeats.length).toBeGreaterThanOrEqual(3);
    expect(heartbeats.every((m) => m.type === 'heartbeat' && m.delta === undefined)).toBe(true);
    void a;
  });

  it('gossip from unseen node triggers nodeup and transfer request', () => {
    const { world, boot } = cluster();
    const primary = boot('primary');
    primary.transport.setLink(false); // primary stops listening
    const node1 = boot('node1');
    node1.replica.track('room', 'u1', 'c1', { v: 1 });
    world.advance(300);
    primary.transport.setLink(true);
    world.advance(1_000);
    expect(primary.events).toContainEqual({ type: 'up', ref: node1.replica.ref });
    expect(
      node1.received.some((m) => m.type === 'transfer-request' && m.from.name === 'primary'),
    ).toBe(true);
    expect(
      primary.received.some((m) => m.type === 'transfer-part' && m.from.name === 'node1'),
    ).toBe(true);
    expect(list(primary.replica, 'room')).toEqual(['u1']);
  });

  it('requests for transfer collapse clocks: one request, to the replica that covers the others', () => {
    const { world, boot } = cluster();
    const primary = boot('primary');
    const node1 = boot('node1');
    const node2 = boot('node2');
    world.advance(500);
    primary.transport.setLink(false);
    node1.replica.track('room', 'n1a', 'c1', {});
    node1.replica.track('room', 'n1b', 'c2', {});
    node2.replica.track('room', 'n2', 'c1', {});
    world.advance(1_000); // node1 and node2 exchange deltas meanwhile
    const before = node1.received.length + node2.received.length;
    void before;
    primary.transport.setLink(true);
    world.advance(1_000);
    expect(list(primary.replica, 'room')).toEqual(['n1a', 'n1b', 'n2']);
    expect(primary.joins.sort()).toEqual(['room/n1a', 'room/n1b', 'room/n2']);
  });

  it('old entries of a node are removed when it comes back as a new incarnation', () => {
    const { world, network, boot } = cluster();
    const primary = boot('primary');
    let node1 = boot('node1');
    node1.replica.track('room', 'old', 'c1', {});
    world.advance(500);
    expect(list(primary.replica, 'room')).toEqual(['old']);
    node1.replica.stop({ announce: false }); // killed
    network.leave('node1');
    node1 = boot('node1'); // a new vsn under the same name, before the down period
    node1.replica.track('room', 'new', 'c1', {});
    world.advance(400);
    expect(list(primary.replica, 'room')).toEqual(['new']);
    expect(primary.events.map((e) => e.type)).toEqual(['up', 'down', 'permdown', 'up']);
  });

  it('tempdowns with nodeups of the same vsn, and permdowns', () => {
    const { world, boot } = cluster();
    const primary = boot('primary');
    const node1 = boot('node1');
    node1.replica.track('room', 'u1', 'c1', {});
    world.advance(300);
    node1.transport.setLink(false); // suspended: nobody hears it
    world.advance(TIMING.downPeriodMs + 300);
    expect(primary.events.at(-1)).toEqual({ type: 'down', ref: node1.replica.ref });
    expect(list(primary.replica, 'room')).toEqual([]);
    expect(primary.leaves).toEqual(['room/u1']);
    node1.transport.setLink(true); // resumed, same vsn
    world.advance(300);
    expect(primary.events.at(-1)).toEqual({ type: 'up', ref: node1.replica.ref });
    expect(list(primary.replica, 'room')).toEqual(['u1']);
    node1.replica.stop({ announce: false });
    node1.transport.setLink(false);
    world.advance(TIMING.permdownPeriodMs + 300);
    expect(primary.events.map((e) => e.type)).toEqual(['up', 'down', 'up', 'down', 'permdown']);
    expect(primary.replica.view.replicas().map((r) => r.name)).toEqual(['primary']);
  });

  it('graceful exits with permdown: leaves at once, nothing left', () => {
    const { world, boot } = cluster();
    const primary = boot('primary');
    const node1 = boot('node1');
    node1.replica.track('room', 'u1', 'c1', {});
    world.advance(300);
    node1.replica.stop({ announce: true });
    world.advance(TIMING.broadcastPeriodMs); // far less than the down period
    expect(list(primary.replica, 'room')).toEqual([]);
    expect(primary.events.map((e) => e.type)).toEqual(['up', 'down', 'permdown']);
    expect(primary.replica.view.replicas().map((r) => r.name)).toEqual(['primary']);
  });

  it('rolling node update sends one transfer request, not a loop (Phoenix issue #135)', () => {
    const { world, network, boot } = cluster();
    const primary = boot('primary');
    const node1 = boot('node1');
    primary.replica.track('room', 'p', 'c1', {});
    world.advance(300);
    node1.replica.stop({ announce: false });
    network.leave('node1');
    world.advance(TIMING.downPeriodMs + 200); // primary marks node1 down
    const node2 = boot('node2'); // never knew node1
    world.advance(TIMING.permdownPeriodMs);
    const requests = primary.received.filter(
      (m) => m.type === 'transfer-request' && m.from.name === 'node2',
    );
    expect(requests.length).toBe(1);
    expect(list(node2.replica, 'room')).toEqual(['p']);
    expect(
      primary.replica.view
        .replicas()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['node2', 'primary']);
  });

  it('does not mark others down while its own link is down, and re-syncs when it returns', () => {
    const { world, boot } = cluster();
    const primary = boot('primary');
    const node1 = boot('node1');
    node1.replica.track('room', 'u1', 'c1', {});
    world.advance(300);
    primary.transport.setLink(false);
    node1.replica.track('room', 'u2', 'c2', {});
    world.advance(TIMING.downPeriodMs * 2); // much longer than the down period
    expect(primary.events.filter((e) => e.type === 'down')).toEqual([]);
    expect(primary.leaves).toEqual([]);
    primary.transport.setLink(true);
    world.advance(300);
    expect(list(primary.replica, 'room')).toEqual(['u1', 'u2']);
    expect(primary.leaves).toEqual([]);
  });

  it('a replica silent while we are connected is still marked down', () => {
    const { world, boot } = cluster();
    const primary = boot('primary');
    const node1 = boot('node1');
    world.advance(300);
    node1.transport.setLink(false);
    world.advance(TIMING.downPeriodMs + 200);
    expect(primary.events.at(-1)).toEqual({ type: 'down', ref: node1.replica.ref });
  });

  it('a garbage frame is dropped and counted, never a crash', () => {
    const { world, boot } = cluster();
    const primary = boot('primary');
    const node1 = boot('node1');
    node1.transport.broadcast(new Uint8Array([0xff, 0x00, 0x13, 0x37]));
    world.advance(300);
    expect(primary.replica.stats.framesDropped).toBe(1);
    node1.replica.track('room', 'u1', 'c1', {});
    world.advance(300);
    expect(list(primary.replica, 'room')).toEqual(['u1']);
  });
});
