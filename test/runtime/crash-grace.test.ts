/**
 * The crash grace (src/runtime/crash-graces.ts, driven by src/runtime/tracker-replica.ts): a down replica's presences with a lineage stay
 * visible for `crashGraceMs`, a device reconnecting on another replica takes its entry over with
 * one change (the held entry in its leaves, the new one in its joins), and what is not taken over
 * leaves when the grace ends, in slices. Simulated network, fake clock: no timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { LINEAGE_FIELD, type PresenceChange } from '../../src/core/index.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { SimNetwork, SimWorld } from '../simulation/sim-network.js';
import { seededRandom } from '../support/seeded-random.js';

const TIMING = {
  broadcastPeriodMs: 100,
  maxSilentPeriods: 2,
  downPeriodMs: 500,
  permdownPeriodMs: 1_500,
  crashGraceMs: 1_000,
};

function cluster(crashGraceMs = TIMING.crashGraceMs) {
  const world = new SimWorld();
  const network = new SimNetwork(world, seededRandom(3));
  let vsn = 1;
  const boot = (name: string) => {
    const transport = network.join(name);
    const replica = new TrackerReplica({
      ...TIMING,
      crashGraceMs,
      name,
      vsn: vsn++,
      transport,
      clock: world,
      timers: world,
      random: () => 0,
    });
    const diffs: PresenceChange[] = [];
    replica.on('diff', (c) => diffs.push(c));
    replica.start();
    return { replica, transport, diffs };
  };
  return { world, network, boot };
}

const device = (id: string, since: number, status = 'online') => ({
  status,
  [LINEAGE_FIELD]: [id, since],
});
const keys = (r: TrackerReplica) =>
  r.view
    .list('user:u')
    .map((p) => `${p.key}:${p.meta['status']}`)
    .sort();

describe('crash grace', () => {
  it('keeps a crashed node’s devices visible; a reconnect elsewhere takes over in one change', () => {
    const { world, boot } = cluster();
    const a = boot('a');
    const b = boot('b');
    const c = boot('c');
    a.replica.track('user:u', 'u', 'c1', device('d1', 1));
    a.replica.track('user:u', 'u', 'c2', device('d2', 1));
    world.advance(300);
    expect(keys(b.replica)).toEqual(['u:online', 'u:online']);
    a.replica.stop({ announce: false });
    a.transport.setLink(false); // crashed: silent
    world.advance(TIMING.downPeriodMs + 300);
    expect(b.replica.health.counts().down).toBe(1);
    // Still visible at every survivor: held, no leave.
    expect(keys(b.replica)).toEqual(['u:online', 'u:online']);
    expect(b.diffs.some((d) => d.leaves.length > 0)).toBe(false);
    // Device d1 reconnects on b: one change at b and at c, its held entry out, the new one in.
    const before = c.diffs.length;
    b.replica.track('user:u', 'u', 'n1', device('d1', 2));
    world.advance(300);
    const atC = c.diffs.slice(before);
    expect(atC).toHaveLength(1);
    expect(atC[0]!.joins.map((p) => p.replica.ref.name)).toEqual(['b']);
    expect(atC[0]!.leaves.map((p) => p.replica.ref.name)).toEqual(['a']);
    expect(keys(c.replica)).toEqual(['u:online', 'u:online']);
    // The grace ends: d2, not taken over, leaves; d1 stays.
    world.advance(TIMING.crashGraceMs);
    for (const r of [b.replica, c.replica]) {
      expect(r.view.list('user:u').map((p) => p.replica.ref.name)).toEqual(['b']);
    }
  });

  it('releases a big node’s held entries in slices', () => {
    const { world, boot } = cluster();
    const a = boot('a');
    const b = boot('b');
    for (let i = 0; i < 1_200; i++) a.replica.track('user:u', 'u', `c${i}`, device(`d${i}`, 1));
    world.advance(300);
    a.replica.stop({ announce: false });
    a.transport.setLink(false);
    world.advance(TIMING.downPeriodMs + 300 + TIMING.crashGraceMs + 300);
    const leaves = b.diffs.filter((d) => d.leaves.length > 0).map((d) => d.leaves.length);
    expect(leaves.length).toBeGreaterThan(1);
    expect(leaves.reduce((x, y) => x + y, 0)).toBe(1_200);
    expect(b.replica.view.count('user:u')).toBe(0);
  });

  it('keeps a restarted node’s old devices for the grace: the new incarnation retires it', () => {
    const { world, network, boot } = cluster();
    const a = boot('a');
    const b = boot('b');
    a.replica.track('user:u', 'u', 'c1', device('d1', 1));
    world.advance(300);
    a.replica.stop({ announce: false });
    network.leave('a');
    const a2 = boot('a'); // the same name, a new vsn: the old one is down and permdown at b
    world.advance(300);
    expect(keys(b.replica)).toEqual(['u:online']);
    a2.replica.track('user:u', 'u', 'n1', device('d1', 2, 'away'));
    world.advance(300);
    expect(keys(b.replica)).toEqual(['u:away']);
    world.advance(TIMING.crashGraceMs + 300);
    expect(keys(b.replica)).toEqual(['u:away']);
    expect(b.replica.view.replicas()).toHaveLength(2);
  });

  it('with crashGraceMs 0, and for entries without a lineage, leaves at the down as before', () => {
    const { world, boot } = cluster(0);
    const a = boot('a');
    const b = boot('b');
    a.replica.track('user:u', 'u', 'c1', device('d1', 1));
    a.replica.track('user:u', 'u', 'c2', { status: 'online' });
    world.advance(300);
    a.replica.stop({ announce: false });
    a.transport.setLink(false);
    world.advance(TIMING.downPeriodMs + 300);
    expect(keys(b.replica)).toEqual([]);
  });

  it('a node started during the grace learns the held entries: a device reconnecting there takes over, and they leave when the grace ends everywhere', () => {
    const graceMs = 3_000;
    const { world, boot } = cluster(graceMs);
    const a = boot('a');
    const b = boot('b');
    a.replica.track('user:u', 'u', 'c1', device('d1', 1));
    a.replica.track('user:u', 'u', 'c2', device('d2', 1));
    a.replica.track('user:u', 'u', 'c3', { status: 'online' }); // no lineage: gone at the down
    b.replica.track('user:u', 'u', 'c4', { status: 'busy' }); // b writes: c asks b for a transfer
    world.advance(300);
    a.replica.stop({ announce: false });
    a.transport.setLink(false);
    const crashedAt = world.now();
    world.advance(TIMING.downPeriodMs + 300);
    expect(b.replica.health.counts().down).toBe(1);
    // c starts in a's grace, never having heard of a.
    const c = boot('c');
    world.advance(400);
    expect(c.replica.synced).toBe(true);
    expect(keys(c.replica)).toEqual(['u:busy', 'u:online', 'u:online']);
    expect(c.replica.health.all().map((r) => r.ref.name)).toEqual(['b']);
    // d1 reconnects on c: at b one change, the held entry out and the new one in (a takeover).
    const before = b.diffs.length;
    c.replica.track('user:u', 'u', 'n1', device('d1', 2));
    world.advance(300);
    const atB = b.diffs.slice(before);
    expect(atB).toHaveLength(1);
    expect(atB[0]!.joins.map((p) => p.replica.ref.name)).toEqual(['c']);
    expect(atB[0]!.leaves.map((p) => p.replica.ref.name)).toEqual(['a']);
    expect(keys(c.replica)).toEqual(['u:busy', 'u:online', 'u:online']);
    // d2, not taken over, is still held at c until b's grace ends (b saw the down by then) ...
    world.advance(crashedAt + graceMs - world.now());
    expect(keys(c.replica)).toEqual(['u:busy', 'u:online', 'u:online']);
    // ... and leaves at both when it ends; c forgets a.
    world.advance(TIMING.downPeriodMs + 2 * TIMING.broadcastPeriodMs + 300);
    for (const r of [b.replica, c.replica]) {
      expect(
        r.view
          .list('user:u')
          .map((p) => p.replica.ref.name)
          .sort(),
      ).toEqual(['b', 'c']);
    }
    expect(
      c.replica.view
        .replicas()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['b', 'c']);
    // A later newcomer learns nothing of a: its grace is over.
    const d = boot('d');
    world.advance(600);
    expect(
      d.replica.view
        .replicas()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['b', 'c', 'd']);
    expect(keys(d.replica)).toEqual(['u:busy', 'u:online']);
  });

  it('a node announcing its leave holds nothing', () => {
    const { world, boot } = cluster();
    const a = boot('a');
    const b = boot('b');
    a.replica.track('user:u', 'u', 'c1', device('d1', 1));
    world.advance(300);
    a.replica.stop({ announce: true });
    world.advance(TIMING.broadcastPeriodMs);
    expect(keys(b.replica)).toEqual([]);
  });
});
