/**
 * The faults both seeded cluster simulations inject, and the healing that ends them: network
 * faults, partitions, link loss, a crash or a clean leave, a restart under the same name (a new
 * incarnation). One table of odds, so the simulations stay comparable.
 */
import type { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { CALM, type SimNetwork } from './sim-network.js';

/** Short periods (ms) and small buffers, so that faults reach every path of the tracker: gaps,
 * transfers by window and by snapshot, down, up and permdown. The odds below are tuned to them. */
export const SIM_TIMING = {
  broadcastPeriodMs: 100,
  maxSilentPeriods: 3,
  downPeriodMs: 1_000,
  permdownPeriodMs: 4_000,
  clockSamplePeriods: 2,
  maxDeltaSizes: [4, 16, 64],
  snapshotChunkSize: 5,
};

export interface ChaosNode {
  readonly name: string;
  readonly replica: TrackerReplica;
  readonly link: { setLink(up: boolean): void };
  alive: boolean;
}

export interface Chaos<N extends ChaosNode> {
  readonly network: SimNetwork;
  /** Every node slot, live or dead: a restart replaces a dead one in place. */
  readonly nodes: N[];
  readonly random: () => number;
  readonly boot: (name: string) => N;
  /** Called before a node stops (to close what the simulation runs beside its replica). */
  readonly beforeStop?: (node: N) => void;
}

/** Applies the fault that `roll` (from 0.5 up) picks on `node`; rolls of 0.8 and more do nothing. */
export function chaosStep<N extends ChaosNode>(chaos: Chaos<N>, roll: number, node: N): void {
  const { network, nodes, random } = chaos;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const live = nodes.filter((n) => n.alive);
  if (roll < 0.6) {
    network.faults = {
      dropRate: random() * 0.3,
      duplicateRate: random() * 0.2,
      maxDelayMs: Math.floor(random() * 400),
    };
  } else if (roll < 0.65) network.partition(pick(nodes).name, pick(nodes).name);
  else if (roll < 0.68) network.healPartitions();
  else if (roll < 0.72) node.link.setLink(false);
  else if (roll < 0.76) for (const n of nodes) n.link.setLink(true);
  else if (roll < 0.78 && live.length > 2) {
    // a crash (no goodbye) or a clean shutdown; the name comes back later as a new incarnation
    chaos.beforeStop?.(node);
    node.replica.stop({ announce: random() < 0.5 });
    network.leave(node.name);
    node.alive = false;
  } else if (roll < 0.8) {
    const dead = nodes.findIndex((n) => !n.alive);
    if (dead >= 0) nodes[dead] = chaos.boot(nodes[dead]!.name);
  }
}

/** Ends the chaos: a calm network, no partitions, every live link up. */
export function heal(network: SimNetwork, nodes: readonly ChaosNode[]): void {
  network.faults = CALM;
  network.healPartitions();
  for (const n of nodes) if (n.alive) n.link.setLink(true);
}
