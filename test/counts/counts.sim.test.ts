/**
 * Counts on a seeded faulty cluster (the simulation world of test/simulation): 3–4 replicas with
 * drops, delays, partitions, link loss, crashes, clean leaves and restarts under a new vsn, while
 * connections come and go on `user:` (visible) and `self:` (invisible) topics and join and leave
 * count-only rooms.
 *
 * - After every step, every live replica's online counts equal a brute-force count of the
 *   `user:` entries of the replicas it holds up.
 * - After healing, every live replica's room counts equal the live nodes' members, and every
 *   node's members were last told that number; a dead node's share is gone.
 *
 * A failing run prints its seed: `SIM_SEED=<seed> npx vitest run test/counts/counts.sim.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { ChangeRouter } from '../../src/change-router/change-router.js';
import type { Presence } from '../../src/core/index.js';
import { RoomCounts } from '../../src/counts/room-counts.js';
import { silentLogger } from '../../src/ports/logger.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { chaosStep, heal, SIM_TIMING as TIMING } from '../simulation/sim-chaos.js';
import { SimNetwork, SimWorld } from '../simulation/sim-network.js';
import { seededRandom } from '../support/seeded-random.js';

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const ROOMS = ['lobby', 'stage'];

interface SimNode {
  name: string;
  replica: TrackerReplica;
  rooms: RoomCounts;
  link: { setLink(up: boolean): void };
  /** Room → this node's member connections (what the gateway would hold). */
  members: Map<string, number>;
  /** Room → the last count its members were told. */
  told: Map<string, number>;
  alive: boolean;
}

function bruteForceOnline(replica: TrackerReplica): { users: number; connections: number } {
  const { view } = replica;
  const visible: Presence[] = [];
  for (const ref of view.replicas()) if (view.isUp(ref)) visible.push(...view.entriesOf(ref));
  const online = visible.filter((p) => p.topic.startsWith('user:'));
  return { users: new Set(online.map((p) => p.topic)).size, connections: online.length };
}

function runSimulation(seed: number): void {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new SimWorld();
  const network = new SimNetwork(world, random);
  const nodes: SimNode[] = [];

  const boot = (name: string): SimNode => {
    const transport = network.join(name);
    const replica = new TrackerReplica({
      ...TIMING,
      name,
      vsn: world.now() * 1000 + Math.floor(random() * 1000),
      transport,
      clock: world,
      timers: world,
      random,
      countedTopicPrefixes: ['user:'],
    });
    const told = new Map<string, number>();
    const rooms = new RoomCounts({
      replica,
      changes: new ChangeRouter(replica, silentLogger),
      timers: world,
      onCount: (room, count) => told.set(room, count),
    });
    replica.start();
    return { name, replica, rooms, link: transport, members: new Map(), told, alive: true };
  };
  const size = 3 + Math.floor(random() * 2);
  for (let i = 0; i < size; i++) nodes.push(boot(`n${i}`));
  const live = () => nodes.filter((n) => n.alive);
  const chaos = { network, nodes, random, boot, beforeStop: (n: SimNode) => n.rooms.close() };
  const checkOnline = (when: string) => {
    for (const n of live()) {
      const counts = n.replica.view.prefixCounts('user:')!;
      expect(
        { users: counts.topics, connections: counts.presences },
        `${n.name} online counts ${when} (seed ${seed})`,
      ).toEqual(bruteForceOnline(n.replica));
    }
  };

  for (let step = 0; step < 250; step++) {
    const roll = random();
    const node = pick(live());
    const user = pick(USERS);
    const conn = `c${Math.floor(random() * 4)}`;
    const room = pick(ROOMS);
    if (roll < 0.25) {
      const topic = random() < 0.7 ? `user:${user}` : `self:${user}`;
      node.replica.track(topic, user, conn, { v: step });
    } else if (roll < 0.35) node.replica.untrackConnection(conn);
    else if (roll < 0.45) {
      node.members.set(room, (node.members.get(room) ?? 0) + 1);
      node.rooms.add(room);
    } else if (roll < 0.52) {
      const n = node.members.get(room) ?? 0;
      if (n > 0) {
        node.members.set(room, n - 1);
        node.rooms.remove(room);
      }
    } else chaosStep(chaos, roll, node);
    checkOnline(`after step ${step}`);
    world.advance(Math.floor(random() * 150));
    checkOnline(`after time passed at step ${step}`);
  }

  heal(network, nodes);
  world.advance(TIMING.downPeriodMs * 3);
  checkOnline('after healing');

  for (const room of ROOMS) {
    const members = live().reduce((sum, n) => sum + (n.members.get(room) ?? 0), 0);
    for (const n of live()) {
      expect(n.rooms.count(room), `${n.name} counts ${room} (seed ${seed})`).toBe(members);
      if ((n.members.get(room) ?? 0) > 0) {
        expect(n.told.get(room), `${n.name}'s members of ${room} were told (seed ${seed})`).toBe(
          members,
        );
      }
    }
  }
  for (const n of live()) n.replica.stop({ announce: false });
}

describe('counts on a seeded faulty cluster', () => {
  const fixed = process.env['SIM_SEED'];
  const count = Number(process.env['SIM_SEEDS'] ?? 40);
  const seeds = fixed ? [Number(fixed)] : Array.from({ length: count }, (_, i) => 2000 + i * 7919);

  it(`online counts match brute force at every step, room counts converge, for ${seeds.length} seeds`, () => {
    for (const seed of seeds) {
      try {
        runSimulation(seed);
      } catch (err) {
        throw new Error(`simulation failed with seed ${seed}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  });
});
