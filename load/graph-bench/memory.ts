/**
 * How much heap a graphology friends graph takes as it grows toward 1M users and 50M edges.
 * Edges go in through the adapter's store (mixed, simple graph, escaped keys) in seeded random
 * order; the build stops early at the time or heap budget and says so.
 */
import {
  createFriendsGraphStore,
  GraphologyFriendsGraph,
} from '../../graph-adapters/graphology/index.js';
import { type LatencyStats, measureLatency, seededRandom } from './latency.js';

export interface MemoryPlan {
  users: number;
  edges: number;
  timeBudgetMs: number;
  heapBudgetBytes: number;
  checkpointEvery: number;
}

export interface MemoryCheckpoint {
  edges: number;
  heapBytes: number;
  seconds: number;
}

export interface MemoryResult {
  targetUsers: number;
  targetEdges: number;
  users: number;
  edges: number;
  complete: boolean;
  stoppedBecause: string | null;
  heapBytes: number;
  bytesPerUser: number;
  bytesPerEdge: number;
  buildSeconds: number;
  extrapolatedHeapBytesAtTarget: number;
  checkpoints: MemoryCheckpoint[];
  visibleToRandomUser: LatencyStats;
}

export async function measureGraphologyMemory(plan: MemoryPlan): Promise<MemoryResult> {
  const started = Date.now();
  const ids = Array.from({ length: plan.users }, (_, index) => `user-${index}`);
  const baseline = heapAfterGc();
  const graph = createFriendsGraphStore();
  for (const id of ids) graph.addNode(id);
  const withUsers = heapAfterGc();
  const bytesPerUser = (withUsers - baseline) / plan.users;

  const random = seededRandom(42);
  const checkpoints: MemoryCheckpoint[] = [];
  let stoppedBecause: string | null = null;
  let attempts = 0;
  while (graph.size < plan.edges) {
    const a = random() % plan.users;
    const b = random() % plan.users;
    attempts++;
    if (a !== b) graph.mergeUndirectedEdge(ids[a]!, ids[b]!);
    if (attempts % plan.checkpointEvery !== 0) continue;
    const heapBytes = heapAfterGc();
    checkpoints.push({ edges: graph.size, heapBytes, seconds: (Date.now() - started) / 1000 });
    process.stdout.write(`  graphology memory: ${graph.size} edges, ${gb(heapBytes)} GB heap\n`);
    if (Date.now() - started > plan.timeBudgetMs) stoppedBecause = 'time budget';
    else if (heapBytes > plan.heapBudgetBytes) stoppedBecause = 'heap budget';
    if (stoppedBecause) break;
  }
  const buildSeconds = (Date.now() - started) / 1000;
  const heapBytes = heapAfterGc();
  const bytesPerEdge = (heapBytes - withUsers) / graph.size;

  const adapter = new GraphologyFriendsGraph({ graph });
  const visibleToRandomUser = await measureLatency(
    () => adapter.visibleTo(ids[random() % plan.users]!),
    10_000,
  );
  await adapter.close();
  return {
    targetUsers: plan.users,
    targetEdges: plan.edges,
    users: graph.order,
    edges: graph.size,
    complete: stoppedBecause === null,
    stoppedBecause,
    heapBytes,
    bytesPerUser: Math.round(bytesPerUser),
    bytesPerEdge: Math.round(bytesPerEdge),
    buildSeconds,
    extrapolatedHeapBytesAtTarget: Math.round(withUsers + bytesPerEdge * plan.edges),
    checkpoints,
    visibleToRandomUser,
  };
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:graph does)');
  gc();
  return process.memoryUsage().heapUsed;
}

export const gb = (bytes: number) => (bytes / 1e9).toFixed(2);
