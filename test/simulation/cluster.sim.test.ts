/**
 * Deterministic cluster simulation: 3–5 replicas on a seeded faulty network (delay, reorder,
 * duplicate, drop, partition, link loss, kill, restart, graceful leave), then the network heals.
 * After healing every live replica must show exactly the live replicas' own presences, with no
 * ghost of a dead one past the down period, and every replica's diff events must add up to what
 * it shows. With lineages (one per presence), a dead replica's presences are held for a short
 * crash grace, and nodes (re)started meanwhile learn them from transfers' held parts: after the
 * grace the same must hold. A failing run prints its seed:
 * `SIM_SEED=<seed> npx vitest run test/simulation`.
 */
import { describe, expect, it } from 'vitest';
import { LINEAGE_FIELD, type Presence, replicaKey } from '../../src/core/index.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { seededRandom } from '../support/seeded-random.js';
import { chaosStep, heal, SIM_TIMING as TIMING } from './sim-chaos.js';
import { SimNetwork, SimWorld } from './sim-network.js';

const TOPICS = ['t0', 't1', 't2', 't3'];

interface SimNode {
  name: string;
  replica: TrackerReplica;
  link: { setLink(up: boolean): void };
  mirror: Map<string, Presence>;
  alive: boolean;
}

function presenceId(p: Presence): string {
  return `${p.replica.key}|${p.counter}|${p.topic}|${p.key}|${JSON.stringify(p.meta)}`;
}

/** With lineages: the crash grace (ms); without: none (0). */
function runSimulation(seed: number, crashGraceMs = 0): void {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new SimWorld();
  const network = new SimNetwork(world, random);
  const size = 3 + Math.floor(random() * 3);
  const nodes: SimNode[] = [];

  const boot = (name: string): SimNode => {
    const transport = network.join(name);
    const replica = new TrackerReplica({
      ...TIMING,
      crashGraceMs,
      name,
      vsn: world.now() * 1000 + Math.floor(random() * 1000), // as in production: time-ordered
      transport,
      clock: world,
      timers: world,
      random,
    });
    const node: SimNode = { name, replica, link: transport, mirror: new Map(), alive: true };
    replica.on('diff', (change) => {
      for (const p of change.leaves) {
        if (!node.mirror.delete(presenceId(p)))
          throw new Error(`${name}: leave of unseen ${presenceId(p)}`);
      }
      for (const p of change.joins) {
        if (node.mirror.has(presenceId(p)))
          throw new Error(`${name}: double join ${presenceId(p)}`);
        node.mirror.set(presenceId(p), p);
      }
    });
    replica.start();
    return node;
  };
  for (let i = 0; i < size; i++) nodes.push(boot(`n${i}`));

  const live = () => nodes.filter((n) => n.alive);
  const chaos = { network, nodes, random, boot };
  for (let step = 0; step < 250; step++) {
    const roll = random();
    const node = pick(live());
    const conn = `c${Math.floor(random() * 4)}`;
    const topic = pick(TOPICS);
    // A lineage of its own per presence: none is taken over, each is held after a crash.
    const lineage = crashGraceMs > 0 ? { [LINEAGE_FIELD]: [`${node.name}.${step}`, step] } : {};
    if (roll < 0.3) {
      node.replica.track(topic, `k${Math.floor(random() * 3)}`, conn, { v: step, ...lineage });
    } else if (roll < 0.4) node.replica.untrackConnection(conn);
    else if (roll < 0.5) {
      const own = node.replica.view.connectionPresences(conn)[0];
      if (own) {
        const kept =
          own.meta[LINEAGE_FIELD] === undefined ? {} : { [LINEAGE_FIELD]: own.meta[LINEAGE_FIELD] };
        node.replica.update(own.topic, own.key, conn, { v: step, updated: true, ...kept });
      }
    } else chaosStep(chaos, roll, node);
    world.advance(Math.floor(random() * 150));
  }

  // heal: calm network, every link up, then longer than the down period
  heal(network, nodes);
  world.advance(TIMING.downPeriodMs * 3 + crashGraceMs);

  const truth = live()
    .flatMap((n) => n.replica.view.entriesOf(n.replica.ref).map(presenceId))
    .sort();
  for (const n of live()) {
    const visible = TOPICS.flatMap((t) => n.replica.view.list(t).map(presenceId)).sort();
    expect(visible, `${n.name} sees exactly the live presences (seed ${seed})`).toEqual(truth);
    expect([...n.mirror.keys()].sort(), `${n.name}'s diffs add up (seed ${seed})`).toEqual(visible);
  }
  // past the permdown period, dead incarnations are forgotten completely
  world.advance(TIMING.permdownPeriodMs + TIMING.downPeriodMs);
  for (const n of live()) {
    const known = n.replica.view.replicas().map(replicaKey).sort();
    const liveRefs = live()
      .map((m) => replicaKey(m.replica.ref))
      .sort();
    for (const key of known)
      expect(liveRefs, `${n.name} knows only live replicas (seed ${seed})`).toContain(key);
  }
  for (const n of live()) n.replica.stop({ announce: false });
}

describe('cluster simulation on a seeded faulty network', () => {
  const fixed = process.env['SIM_SEED'];
  const count = Number(process.env['SIM_SEEDS'] ?? 60);
  const seeds = fixed ? [Number(fixed)] : Array.from({ length: count }, (_, i) => 1000 + i * 7919);

  it(`converges after healing, for ${seeds.length} seeds`, () => {
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

  it(`converges after healing and the crash grace, with lineages, for ${seeds.length} seeds`, () => {
    for (const seed of seeds) {
      try {
        runSimulation(seed, 1_500);
      } catch (err) {
        throw new Error(
          `simulation with lineages failed with seed ${seed}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  });
});
