/**
 * UserOnlineFeed on simulated clusters: every node sees each transition, exactly one node owns
 * it, a user moving between nodes within the offline delay produces nothing, a dead node's users
 * go offline once (owned by a live node), and a node that just started owns nothing it learned
 * from transfers.
 */
import { describe, expect, it } from 'vitest';
import { ChangeRouter } from '../../src/change-router/change-router.js';
import { silentLogger } from '../../src/ports/logger.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { rendezvousOwner } from '../../src/user-online/rendezvous-owner.js';
import {
  UserOnlineFeed,
  type UserOnlineTransition,
} from '../../src/user-online/user-online-feed.js';
import { SimNetwork, SimWorld } from '../simulation/sim-network.js';
import { seededRandom } from '../support/seeded-random.js';

const DELAY_MS = 5_000;
const WARM_UP_MS = 30_000;
const START = 1_700_000_000_000;

interface Node {
  readonly name: string;
  readonly transport: ReturnType<SimNetwork['join']>;
  readonly replica: TrackerReplica;
  readonly feed: UserOnlineFeed;
  readonly seen: UserOnlineTransition[];
}

function cluster(options: { ownershipOverlapMs?: number; maxDelayMs?: number } = {}) {
  const world = new SimWorld();
  world.advance(START);
  const network = new SimNetwork(world, seededRandom(7));
  if (options.maxDelayMs !== undefined) {
    network.faults = { dropRate: 0, duplicateRate: 0, maxDelayMs: options.maxDelayMs };
  }
  const nodes = new Map<string, Node>();
  const boot = (name: string): Node => {
    const transport = network.join(name);
    const replica = new TrackerReplica({
      name,
      broadcastPeriodMs: 500,
      downPeriodMs: 10_000,
      permdownPeriodMs: 60_000,
      transport,
      clock: world,
      timers: world,
      random: seededRandom(name.length),
    });
    const feed = new UserOnlineFeed({
      replica,
      changes: new ChangeRouter(replica, silentLogger),
      offlineDelayMs: DELAY_MS,
      ownerWarmUpMs: WARM_UP_MS,
      ...(options.ownershipOverlapMs === undefined
        ? {}
        : { ownershipOverlapMs: options.ownershipOverlapMs }),
      clock: world,
    });
    const seen: UserOnlineTransition[] = [];
    feed.on('transition', (t) => seen.push(t));
    feed.start();
    replica.start();
    const node = { name, transport, replica, feed, seen };
    nodes.set(name, node);
    return node;
  };
  /** Every transition of `user` seen anywhere: (node, type, owned). */
  const transitionsOf = (user: string) =>
    [...nodes.values()].flatMap((n) =>
      n.seen
        .filter((t) => t.user === user)
        .map((t) => ({ node: n.name, type: t.type, owned: t.owned })),
    );
  const owned = (user: string) =>
    transitionsOf(user)
      .filter((t) => t.owned)
      .map((t) => `${t.type}@${t.node}`);
  return { world, network, nodes, boot, transitionsOf, owned };
}

describe('UserOnlineFeed', () => {
  it('shows each transition on every node and has exactly one node own it', () => {
    const { world, boot, transitionsOf, owned, nodes } = cluster();
    const a = boot('a');
    boot('b');
    boot('c');
    world.advance(3_000);
    a.replica.track('user:ann', 'ann', 'c1', { online_at: 1 });
    world.advance(3_000);
    expect(transitionsOf('ann').map((t) => t.type)).toEqual(['online', 'online', 'online']);
    expect(owned('ann')).toHaveLength(1);
    const owner = a.feed.ownerOf('ann');
    expect(owned('ann')).toEqual([`online@${owner}`]);
    for (const node of nodes.values()) expect(node.feed.ownerOf('ann')).toBe(owner);

    a.replica.untrack('user:ann', 'ann', 'c1');
    world.advance(DELAY_MS + 3_000);
    expect(transitionsOf('ann').filter((t) => t.type === 'offline')).toHaveLength(3);
    expect(owned('ann')).toEqual([`online@${owner}`, `offline@${owner}`]);
  });

  it('says nothing when a user moves from one node to another within the delay', () => {
    const { world, boot, transitionsOf } = cluster();
    const a = boot('a');
    const b = boot('b');
    world.advance(3_000);
    a.replica.track('user:ann', 'ann', 'c1', { online_at: 1 });
    world.advance(3_000);
    a.replica.untrack('user:ann', 'ann', 'c1');
    world.advance(2_000);
    b.replica.track('user:ann', 'ann', 'c2', { online_at: 2 });
    world.advance(DELAY_MS * 3);
    expect(transitionsOf('ann').map((t) => `${t.type}@${t.node}`)).toEqual([
      'online@a',
      'online@b',
    ]);
  });

  it("takes a dead node's users offline once, owned by a live node", () => {
    const { world, network, boot, transitionsOf, owned } = cluster();
    boot('a');
    boot('b');
    const c = boot('c');
    world.advance(3_000);
    const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
    for (const user of users)
      c.replica.track(`user:${user}`, user, `conn-${user}`, { online_at: 1 });
    world.advance(3_000);
    // c crashes: no leave announced; the others notice its silence after the down period.
    c.replica.stop({ announce: false });
    network.leave('c');
    world.advance(10_000 + DELAY_MS + 5_000);
    const ownersOfOffline = new Set<string>();
    for (const user of users) {
      const offline = transitionsOf(user).filter((t) => t.type === 'offline' && t.node !== 'c');
      expect(offline).toHaveLength(2);
      const ownedOffline = owned(user).filter((o) => o.startsWith('offline@'));
      expect(ownedOffline).toHaveLength(1);
      expect(ownedOffline[0]).not.toBe('offline@c');
      ownersOfOffline.add(ownedOffline[0]!);
    }
    expect(ownersOfOffline).toEqual(new Set(['offline@a', 'offline@b']));
  });

  it('lets a node that just started own nothing it learned from the cluster', () => {
    const { world, boot, owned, nodes } = cluster();
    const a = boot('a');
    boot('b');
    world.advance(WARM_UP_MS + 5_000);
    const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
    for (const user of users)
      a.replica.track(`user:${user}`, user, `conn-${user}`, { online_at: 1 });
    world.advance(3_000);
    const late = boot('late');
    world.advance(5_000);
    // The late node saw every user come online (from a transfer), but owned none of it.
    expect(late.seen.filter((t) => t.type === 'online')).toHaveLength(users.length);
    expect(late.seen.filter((t) => t.owned)).toEqual([]);
    for (const user of users) expect(owned(user)).toHaveLength(1);

    // Once warm it owns its share, and each offline is still owned exactly once.
    world.advance(WARM_UP_MS);
    const lateOwns = users.filter((user) => late.feed.ownerOf(user) === 'late');
    expect(lateOwns.length).toBeGreaterThan(0);
    for (const user of users) a.replica.untrack(`user:${user}`, user, `conn-${user}`);
    world.advance(DELAY_MS + 3_000);
    for (const user of users) {
      const offline = owned(user).filter((o) => o.startsWith('offline@'));
      expect(offline).toEqual([`offline@${nodes.get('a')!.feed.ownerOf(user)}`]);
    }
    expect(
      late.seen
        .filter((t) => t.owned)
        .map((t) => t.user)
        .sort(),
    ).toEqual(lateOwns.sort());
  });

  it('at a flushing stop, takes the users within their delay offline as of when they left', () => {
    const { world, boot } = cluster();
    const a = boot('a');
    world.advance(1_000);
    a.replica.track('user:ann', 'ann', 'c1', { online_at: 1 });
    world.advance(1_000);
    const leftAt = world.now();
    a.replica.untrack('user:ann', 'ann', 'c1');
    world.advance(1_000);
    a.feed.stop({ flush: true });
    expect(a.seen.map((t) => [t.type, t.owned])).toEqual([
      ['online', true],
      ['offline', true],
    ]);
    expect(a.seen[1]!.at).toBe(leftAt);
  });

  it('never leaves a transition unowned when the nodes decide on either side of a node warming up', () => {
    // Users that b owns until the late node is warm, and the late node after. b's link is down
    // while they leave, so b sees it (and decides) after the late node turned warm, while the
    // late node and a decide before: under the candidates of the moment alone, nobody owns it.
    const lost = (ownershipOverlapMs?: number) => {
      const { world, boot, owned } = cluster({ ownershipOverlapMs });
      const a = boot('a');
      const b = boot('b');
      world.advance(WARM_UP_MS + 5_000);
      const late = boot('late');
      const warmAt = world.now() + WARM_UP_MS;
      const users = Array.from({ length: 300 }, (_, i) => `u${i}`).filter(
        (user) =>
          rendezvousOwner(user, ['a', 'b']) === 'b' &&
          rendezvousOwner(user, ['a', 'b', 'late']) === 'late',
      );
      for (const user of users)
        a.replica.track(`user:${user}`, user, `c-${user}`, { online_at: 1 });
      world.advance(warmAt - DELAY_MS - 1_000 - world.now());
      b.transport.setLink(false);
      for (const user of users) a.replica.untrack(`user:${user}`, user, `c-${user}`);
      world.advance(1_000);
      b.transport.setLink(true);
      world.advance(DELAY_MS + 5_000);
      expect(late.feed.ownerOf(users[0]!)).toBe('late');
      expect(b.seen.filter((t) => t.type === 'offline')).toHaveLength(users.length);
      return users.filter((user) => !owned(user).some((o) => o.startsWith('offline@')));
    };
    expect(lost(0).length).toBeGreaterThan(0);
    expect(lost()).toEqual([]);
  });

  it('has exactly one owner for transitions just after the overlap that followed the start', () => {
    // The peers a node finds at its start were up before it: they are no change to overlap.
    const { world, boot, owned } = cluster();
    const a = boot('a');
    boot('b');
    world.advance(4_800);
    const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
    for (const user of users) {
      a.replica.track(`user:${user}`, user, `c-${user}`, { online_at: 1 });
      world.advance(20);
    }
    world.advance(3_000);
    for (const user of users) expect(owned(user), user).toHaveLength(1);
  });
});
