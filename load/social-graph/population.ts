/**
 * Who connects where: users of the generated graph with 1–N devices each, one connection per
 * device, every connection placed on a node at random (a user's devices may be on different
 * nodes) and handed to a client worker. Seeded like the graph. Also answers "how many
 * connections see user U", the expected receipts of an update.
 */
import { writeFileSync } from 'node:fs';
import type { Graph } from '../../graph-adapters/graphology/index.js';
import { chungLuGraph, type DegreeStats, degreeStats, userKey } from './chung-lu.js';
import { randomInt, seededRandom } from './seeded-random.js';

export interface PopulationOptions {
  readonly connections: number;
  readonly maxDevices: number;
  readonly meanDegree: number;
  readonly maxDegree: number;
  readonly nodes: number;
  readonly workers: number;
  readonly seed: number;
}

export interface Connection {
  readonly id: number;
  readonly user: string;
  /** The node it connects to first. */
  readonly node: number;
  readonly worker: number;
}

export interface Population {
  readonly graph: Graph;
  readonly degrees: DegreeStats;
  readonly users: readonly string[];
  readonly connections: readonly Connection[];
  /** Connection ids of each user. */
  readonly devicesOf: ReadonlyMap<string, readonly number[]>;
}

export function buildPopulation(options: PopulationOptions): Population {
  const random = seededRandom(options.seed ^ 0x5eed);
  const devices: number[] = [];
  for (let left = options.connections; left > 0; ) {
    const n = Math.min(left, randomInt(random, 1, options.maxDevices));
    devices.push(n);
    left -= n;
  }
  const graph = chungLuGraph({
    users: devices.length,
    meanDegree: options.meanDegree,
    maxDegree: options.maxDegree,
    seed: options.seed,
  });
  const users = devices.map((_, i) => userKey(i));
  const connections: Connection[] = [];
  const devicesOf = new Map<string, number[]>();
  devices.forEach((count, u) => {
    const user = users[u]!;
    const ids: number[] = [];
    for (let d = 0; d < count; d += 1) {
      const id = connections.length;
      ids.push(id);
      connections.push({
        id,
        user,
        node: Math.floor(random() * options.nodes),
        worker: id % options.workers,
      });
    }
    devicesOf.set(user, ids);
  });
  return { graph, degrees: degreeStats(graph), users, connections, devicesOf };
}

/** Connections that receive user's presence: its own devices and every friend's. */
export function watchersOf(population: Population, user: string): number[] {
  const out = [...(population.devicesOf.get(user) ?? [])];
  population.graph.forEachNeighbor(user, (friend) => {
    for (const id of population.devicesOf.get(friend) ?? []) out.push(id);
  });
  return out;
}

/** The graph as the server's CSV format: one `a,b` line per undirected friendship. */
export function writeGraphCsv(graph: Graph, file: string): void {
  const lines: string[] = [];
  graph.forEachEdge((_edge, _attributes, source, target) => {
    lines.push(`${source},${target}`);
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}
