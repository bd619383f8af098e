/**
 * `npm run bench:graph [-- --quick]`: visibleTo latency (p50/p99) per friends-graph adapter for
 * users with 100, 1,000 and 10,000 friends, then the heap of a graphology graph grown toward
 * 1M users and 50M edges (or as far as the time and heap budgets allow, stated in the output).
 * Prints a table and writes load/results/graph.json.
 *
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379) and PostgreSQL (PG_BENCH_URL, default
 * postgres://postgres@127.0.0.1:5432/test); an adapter whose service is missing is skipped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BenchSubject,
  type EdgeList,
  hubEdges,
  hubId,
  openGraphology,
  openHttp,
  openPostgres,
  openRedis,
} from './graph-bench/fixtures.js';
import { type LatencyStats, measureLatency } from './graph-bench/latency.js';
import { gb, type MemoryResult, measureGraphologyMemory } from './graph-bench/memory.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick ?? false;

const FRIEND_COUNTS = [100, 1_000, 10_000] as const;
const SAMPLES: Record<number, number> = quick
  ? { 100: 300, 1000: 300, 10000: 50 }
  : { 100: 5_000, 1000: 5_000, 10000: 1_000 };
const TARGETS_P99_MS_AT_1000: Record<string, number> = { graphology: 1, redis: 5, postgres: 5 };
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PG_URL = process.env['PG_BENCH_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const adapters: Array<[name: string, open: (edges: EdgeList) => Promise<BenchSubject>]> = [
  ['graphology', openGraphology],
  ['redis', (edges) => openRedis(edges, REDIS_URL)],
  ['postgres', (edges) => openPostgres(edges, PG_URL)],
  ['http', openHttp],
];

interface LatencyRow extends LatencyStats {
  adapter: string;
  friends: number;
  targetP99Ms: number | null;
  meetsTarget: boolean | null;
}

async function benchLatency(): Promise<{ rows: LatencyRow[]; skipped: Record<string, string> }> {
  const edges = hubEdges(FRIEND_COUNTS);
  const rows: LatencyRow[] = [];
  const skipped: Record<string, string> = {};
  for (const [adapter, open] of adapters) {
    let subject: BenchSubject;
    try {
      subject = await open(edges);
    } catch (error) {
      skipped[adapter] = (error as Error).message;
      process.stdout.write(`  ${adapter}: skipped (${skipped[adapter]})\n`);
      continue;
    }
    for (const friends of FRIEND_COUNTS) {
      const visible = await subject.graph.visibleTo(hubId(friends));
      if (visible.length !== friends)
        throw new Error(`${adapter}: ${hubId(friends)} sees ${visible.length}`);
      const stats = await measureLatency(
        () => subject.graph.visibleTo(hubId(friends)),
        SAMPLES[friends]!,
      );
      const target = friends === 1_000 ? (TARGETS_P99_MS_AT_1000[adapter] ?? null) : null;
      rows.push({
        adapter,
        friends,
        ...stats,
        targetP99Ms: target,
        meetsTarget: target === null ? null : stats.p99Ms < target,
      });
      process.stdout.write(
        `  ${adapter} @ ${friends}: p50 ${stats.p50Ms} ms, p99 ${stats.p99Ms} ms\n`,
      );
    }
    await subject.teardown();
  }
  return { rows, skipped };
}

function printTables(rows: LatencyRow[], memory: MemoryResult): void {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out = [
    '',
    line(['adapter', 'friends', 'p50 ms', 'p99 ms', 'target p99', 'ok']),
    line(['---', '---:', '---:', '---:', '---:', '---']),
    ...rows.map((row) =>
      line([
        row.adapter,
        row.friends.toLocaleString('en'),
        row.p50Ms.toFixed(3),
        row.p99Ms.toFixed(3),
        row.targetP99Ms === null ? '' : `< ${row.targetP99Ms} ms`,
        row.meetsTarget === null ? '' : row.meetsTarget ? 'yes' : 'NO',
      ]),
    ),
    '',
    `graphology memory: ${memory.users.toLocaleString('en')} users, ${memory.edges.toLocaleString('en')} edges ` +
      `(target ${memory.targetUsers.toLocaleString('en')} / ${memory.targetEdges.toLocaleString('en')}` +
      `${memory.complete ? ', reached' : `, stopped by the ${memory.stoppedBecause}`}): ` +
      `${gb(memory.heapBytes)} GB heap, ${memory.bytesPerUser} B/user, ${memory.bytesPerEdge} B/edge, ` +
      `built in ${memory.buildSeconds.toFixed(0)} s; at the target ≈ ${gb(memory.extrapolatedHeapBytesAtTarget)} GB`,
    `graphology visibleTo on that graph (random users): p50 ${memory.visibleToRandomUser.p50Ms} ms, ` +
      `p99 ${memory.visibleToRandomUser.p99Ms} ms`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

async function main(): Promise<void> {
  const started = Date.now();
  process.stdout.write(`graph bench${quick ? ' (quick)' : ''}: visibleTo latency\n`);
  const latency = await benchLatency();
  process.stdout.write('graph bench: graphology memory\n');
  const memoryPlan = quick
    ? {
        users: 100_000,
        edges: 1_000_000,
        timeBudgetMs: 30_000,
        heapBudgetBytes: 4e9,
        checkpointEvery: 250_000,
      }
    : {
        users: 1_000_000,
        edges: 50_000_000,
        timeBudgetMs: 240_000,
        heapBudgetBytes: 13e9,
        checkpointEvery: 1_000_000,
      };
  const memory = await measureGraphologyMemory(memoryPlan);
  printTables(latency.rows, memory);
  const result = {
    benchmark: 'graph',
    generatedAt: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      totalMemoryBytes: totalmem(),
      node: process.version,
    },
    visibleTo: latency.rows,
    skippedAdapters: latency.skipped,
    graphologyMemory: { plan: memoryPlan, ...memory },
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, quick ? 'graph.quick.json' : 'graph.json');
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

await main();
