/**
 * A seeded heavy-tailed friend graph: the Chung–Lu model, generated in O(n + m) with the
 * Miller–Hagberg skipping algorithm, into a graphology Graph.
 *
 * Why not graphology-generators: it has Erdős–Rényi, caveman and cluster generators but no
 * Barabási–Albert or power-law one, and Erdős–Rényi degrees are Poisson (nobody has thousands of
 * friends). Chung–Lu takes an expected degree per user, so the degree law is chosen directly:
 * weights follow a power law P(k) ~ k^-gamma (social networks: gamma 2–3), capped at
 * `maxDegree`, scaled so the mean degree is `meanDegree`. Each pair (u, v) is an edge with
 * probability min(1, w_u w_v / Σw), independently, so realised degrees ≈ weights.
 */
import { Graph } from '../../graph-adapters/graphology/index.js';
import { seededRandom, shuffle } from './seeded-random.js';

export interface ChungLuOptions {
  readonly users: number;
  readonly meanDegree: number;
  /** Cap on a user's expected degree. */
  readonly maxDegree: number;
  /** Power-law exponent of the degree distribution. @default 2.5 */
  readonly gamma?: number;
  readonly seed: number;
}

/** User ids are `u0`…`u<n-1>`; the heavy users are spread over the ids, not at the start. */
export function userKey(index: number): string {
  return `u${index}`;
}

/** Expected degrees: deterministic power-law quantiles, capped, scaled to the mean. */
export function powerLawWeights(options: ChungLuOptions): number[] {
  const n = options.users;
  const gamma = options.gamma ?? 2.5;
  const cap = Math.min(options.maxDegree, n - 1);
  const target = Math.min(options.meanDegree, cap);
  const exponent = -1 / (gamma - 1);
  const shape = Array.from({ length: n }, (_, i) => ((i + 0.5) / n) ** exponent);
  // Find the scale whose capped weights have the target mean (the cap makes it non-linear).
  let scale = target / (shape.reduce((a, b) => a + b, 0) / n);
  for (let round = 0; round < 50; round += 1) {
    const mean = shape.reduce((a, s) => a + Math.min(cap, s * scale), 0) / n;
    if (Math.abs(mean - target) < 1e-6 * target) break;
    scale *= target / mean;
  }
  return shape.map((s) => Math.min(cap, s * scale));
}

export function chungLuGraph(options: ChungLuOptions): Graph {
  const random = seededRandom(options.seed);
  const n = options.users;
  const weights = powerLawWeights(options); // descending
  const total = weights.reduce((a, b) => a + b, 0);
  // Position i (weight rank) → user index, shuffled so user ids carry no degree order.
  const userAt = shuffle(
    random,
    Array.from({ length: n }, (_, i) => i),
  );
  const graph = new Graph({ type: 'undirected', multi: false, allowSelfLoops: false });
  for (let i = 0; i < n; i += 1) graph.addNode(userKey(i));
  if (total === 0) return graph;
  for (let u = 0; u < n - 1; u += 1) {
    const wu = weights[u]!;
    let v = u + 1;
    let p = Math.min(1, (wu * weights[v]!) / total);
    while (v < n && p > 0) {
      if (p !== 1) v += Math.floor(Math.log(1 - random()) / Math.log(1 - p));
      if (v >= n) break;
      const q = Math.min(1, (wu * weights[v]!) / total);
      if (random() < q / p) graph.addEdge(userKey(userAt[u]!), userKey(userAt[v]!));
      p = q;
      v += 1;
    }
  }
  return graph;
}

export interface DegreeStats {
  readonly users: number;
  readonly edges: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Users with at least 1,000 friends. */
  readonly over1000: number;
}

export function degreeStats(graph: Graph): DegreeStats {
  const degrees = graph.mapNodes((node) => graph.degree(node)).sort((a, b) => a - b);
  const at = (q: number) =>
    degrees[Math.min(degrees.length - 1, Math.floor(q * degrees.length))] ?? 0;
  return {
    users: graph.order,
    edges: graph.size,
    mean: Math.round(((2 * graph.size) / Math.max(1, graph.order)) * 10) / 10,
    p50: at(0.5),
    p99: at(0.99),
    max: degrees.at(-1) ?? 0,
    over1000: degrees.filter((d) => d >= 1000).length,
  };
}
