/**
 * Runs one scenario end to end: graph → redis + nodes → client workers → scenario → table,
 * load/results/load-<scenario>.json and .svg. Everything it started is stopped on the way out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeChart } from './chart.js';
import { ClientPool } from './clients/client-pool.js';
import { Cluster } from './cluster/cluster.js';
import { machineInfo } from './machine.js';
import type { LoadOptions } from './options.js';
import { Progress } from './progress.js';
import { Recorder, type WatchedProcess } from './recorder.js';
import { printTable, resultsPath } from './report.js';
import type { Scenario } from './scenarios/scenario.js';
import { buildPopulation, writeGraphCsv } from './social-graph/population.js';

const SECRET = 'load-secret';

export interface RunOutput {
  readonly json: string;
  readonly svg: string;
}

export async function runScenario(
  scenario: Scenario,
  options: LoadOptions,
  argv: readonly string[],
): Promise<RunOutput> {
  const machine = machineInfo();
  const progress = new Progress(options.progress);
  const outDir = options.out ? resolve(options.out) : resultsPath('').replace(/\/$/, '');
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'graph-presence-load-'));
  const date = new Date().toISOString();

  progress.note(`[${scenario.name}] building the graph (${options.connections} connections)`);
  const population = buildPopulation({
    connections: options.connections,
    maxDevices: options.devices,
    meanDegree: options.degree,
    maxDegree: options.maxDegree,
    nodes: options.nodes,
    workers: options.workers,
    seed: options.seed,
  });
  const graphFile = join(work, 'graph.csv');
  writeGraphCsv(population.graph, graphFile);
  const d = population.degrees;
  progress.note(
    `[${scenario.name}] ${d.users} users, ${d.edges} friendships (mean degree ${d.mean}, p99 ${d.p99}, max ${d.max}); starting redis and ${options.nodes} nodes`,
  );

  let cluster: Cluster | undefined;
  let pool: ClientPool | undefined;
  let recorder: Recorder | undefined;
  try {
    cluster = await Cluster.start({
      nodes: options.nodes,
      graphFile,
      secret: SECRET,
      broadcastPeriodMs: options.broadcastPeriodMs,
      downPeriodMs: options.downPeriodMs,
      logLevel: options.logLevel,
      nodeArgs: splitFlags(options.nodeArgs),
    });
    const rec = new Recorder(cluster, progress, scenario.name);
    recorder = rec;
    pool = await ClientPool.start({
      workers: options.workers,
      urls: cluster.urls,
      secret: SECRET,
      connections: population.connections,
      seed: options.seed,
      connectTimeoutMs: options.connectTimeoutMs,
      workerArgs: splitFlags(options.workerArgs),
      ...scenario.poolOptions(options),
      onTick: (tick) => rec.onTick(tick),
    });
    const processes: WatchedProcess[] = [
      ...cluster.nodePids.map((pid, i) => ({ name: `node${i}`, group: 'nodes' as const, pid })),
      ...(cluster.redisPid
        ? [{ name: 'redis', group: 'redis' as const, pid: cluster.redisPid }]
        : []),
      ...pool.pids.map((pid, i) => ({ name: `worker${i}`, group: 'clients' as const, pid })),
      { name: 'driver', group: 'driver', pid: process.pid },
    ];
    rec.watch(processes);
    rec.start();

    const result = await scenario.run({
      options,
      population,
      cluster,
      pool,
      recorder: rec,
      progress,
    });
    rec.stop();
    progress.clear();

    const title = `load ${scenario.name}: ${options.connections} connections (${d.users} users, mean degree ${d.mean}, max ${d.max}), ${options.nodes} nodes, ${options.workers} client workers, broadcast ${options.broadcastPeriodMs} ms, ${machine.cpus} cores`;
    printTable(title, result.rows);

    const cpu: Record<string, unknown> = {};
    const phases: Record<string, number> = {};
    for (const [name, totals] of rec.phases) {
      cpu[name] = rec.cores(name);
      phases[name] = Math.round(totals.seconds * 10) / 10;
    }
    const json = join(outDir, `load-${scenario.name}.json`);
    const svg = join(outDir, `load-${scenario.name}.svg`);
    const record = {
      scenario: scenario.name,
      date,
      command: `npm run load -- ${[scenario.name, ...argv].join(' ')}`,
      options,
      machine,
      graph: population.degrees,
      processes,
      figures: result.figures,
      phases,
      cpu,
      series: rec.series,
    };
    writeFileSync(json, `${JSON.stringify(record, null, 1)}\n`);
    const phaseMarkers: { t: number; label: string }[] = [];
    let previous: string | undefined;
    for (const point of rec.series) {
      if (point.phase !== previous) phaseMarkers.push({ t: point.t - 1, label: point.phase });
      previous = point.phase;
    }
    await writeChart(
      {
        title: `${title} (${date.slice(0, 16)})`,
        recorder: rec,
        lines: result.chart,
        markers: [...phaseMarkers, ...(result.markers ?? [])],
      },
      svg,
    );
    process.stdout.write(`results: ${json}\nchart:   ${svg}\n`);
    return { json, svg };
  } finally {
    recorder?.stop();
    progress.clear();
    await pool?.close();
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function splitFlags(flags: string): string[] {
  return flags.split(' ').filter((f) => f !== '');
}
