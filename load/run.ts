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
import { baseline } from './scenarios/baseline.js';
import { type NodeLag, nodeLag, workerCpuRatio } from './scenarios/common.js';
import {
  compareWithBaseline,
  comparisonRows,
  type SteadyFigures,
} from './scenarios/compare-baseline.js';
import {
  baselineConnectFigures,
  compareConnect,
  connectBaseline,
  connectComparisonRows,
} from './scenarios/connect-baseline.js';
import type { Scenario } from './scenarios/scenario.js';
import { compareWebhookCost, webhookCostRows } from './scenarios/webhook-cost.js';
import { buildPopulation, writeGraphCsv } from './social-graph/population.js';
import { WebhookReceiver } from './webhooks/webhook-receiver.js';

const SECRET = 'load-secret-of-at-least-32-bytes-long';
/** The nodes' PRESENCE_WEBHOOK_SECRET with --webhooks (at least 32 bytes). */
const WEBHOOK_SECRET = 'load-webhook-secret-of-at-least-32-bytes';

/** What load/results/load-<scenario>.json holds. */
export interface RunRecord {
  readonly scenario: string;
  readonly server: string;
  readonly date: string;
  readonly command: string;
  readonly figures: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export interface RunOutput {
  readonly json: string;
  readonly svg: string;
}

export async function runScenario(
  scenario: Scenario,
  options: LoadOptions,
  argv: readonly string[],
): Promise<RunOutput> {
  const outDir = options.out ? resolve(options.out) : resultsPath('').replace(/\/$/, '');
  mkdirSync(outDir, { recursive: true });
  if (options.webhooks) return runWithAndWithoutWebhooks(scenario, options, argv, outDir);
  const ours = await runOnce(scenario, options, argv, outDir, `load-${scenario.name}`);
  let record: Record<string, unknown> = ours.record;
  if (options.baseline && scenario.name === 'connect') {
    // The hand-written socket.io server is one process, on the same graph and clients.
    const base = await runOnce(
      connectBaseline,
      { ...options, nodes: 1 },
      argv,
      outDir,
      'load-connect-baseline',
    );
    const comparison = compareConnect(ours.record.figures, base.record.figures);
    printTable(
      `graph-presence (${options.nodes} node${options.nodes === 1 ? '' : 's'}) vs hand-written socket.io (1 process), same graph and clients`,
      connectComparisonRows(comparison),
    );
    record = {
      ...record,
      figures: { ...ours.record.figures, baseline: baselineConnectFigures(base.record.figures) },
      baseline: base.record,
      comparison,
    };
  } else if (options.baseline) {
    // Plain socket.io rooms do not cross processes: the baseline is one process.
    const base = await runOnce(baseline, { ...options, nodes: 1 }, argv, outDir, 'load-baseline');
    const comparison = compareWithBaseline(
      ours.record.figures as unknown as SteadyFigures,
      base.record.figures as unknown as SteadyFigures,
    );
    printTable(
      `graph-presence (${options.nodes} node${options.nodes === 1 ? '' : 's'}) vs plain socket.io baseline (1 process), same graph, clients and updates`,
      comparisonRows(comparison),
    );
    record = { ...record, baseline: base.record, comparison };
  }
  const json = join(outDir, `load-${scenario.name}.json`);
  writeFileSync(json, `${JSON.stringify(record, null, 1)}\n`);
  process.stdout.write(`results: ${json}\n`);
  return { json, svg: ours.svg };
}

/**
 * `--webhooks`: the same scenario twice on the same graph and clients, first without webhooks,
 * then with every node posting to a receiver process; prints what webhooks cost (connect rate,
 * event-loop lag, node CPU) and saves both runs in load-<scenario>-webhooks.json.
 */
async function runWithAndWithoutWebhooks(
  scenario: Scenario,
  options: LoadOptions,
  argv: readonly string[],
  outDir: string,
): Promise<RunOutput> {
  const stem = `load-${scenario.name}-webhooks`;
  const off = await runOnce(scenario, { ...options, webhooks: false }, argv, outDir, `${stem}-off`);
  const on = await runOnce(scenario, options, argv, outDir, stem);
  const cost = compareWebhookCost(off.record, on.record);
  printTable(
    `webhooks' cost: ${scenario.name} without / with webhooks (${options.nodes} node${options.nodes === 1 ? '' : 's'}, same graph and clients; ratio with / without)`,
    webhookCostRows(cost),
  );
  const json = join(outDir, `${stem}.json`);
  const record = { ...on.record, withoutWebhooks: off.record, webhookCost: cost };
  writeFileSync(json, `${JSON.stringify(record, null, 1)}\n`);
  process.stdout.write(`results: ${json}\n`);
  return { json, svg: on.svg };
}

async function runOnce(
  scenario: Scenario,
  options: LoadOptions,
  argv: readonly string[],
  outDir: string,
  fileStem: string,
): Promise<{ record: RunRecord; svg: string }> {
  const machine = machineInfo();
  const progress = new Progress(options.progress);
  const server = scenario.server ?? 'graph-presence';
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
  let receiver: WebhookReceiver | undefined;
  try {
    if (options.webhooks) {
      receiver = await WebhookReceiver.start(WEBHOOK_SECRET);
      progress.note(`[${scenario.name}] webhook receiver at ${receiver.hookUrl}`);
    }
    cluster = await Cluster.start({
      server,
      nodes: options.nodes,
      graphFile,
      secret: SECRET,
      broadcastPeriodMs: options.broadcastPeriodMs,
      downPeriodMs: options.downPeriodMs,
      leaveGraceMs: options.leaveGraceMs,
      maxBatchDelayMs: options.maxBatchDelayMs,
      crashGraceMs: options.crashGraceMs,
      drainMs: options.drainMs,
      logLevel: options.logLevel,
      nodeArgs: splitFlags(options.nodeArgs),
      webhook: receiver && { url: receiver.hookUrl, secret: receiver.secret },
      offlineDelayMs: options.offlineDelayMs,
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
      client: options.client,
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
      ...(receiver
        ? [{ name: 'webhook-receiver', group: 'webhooks' as const, pid: receiver.pid }]
        : []),
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
      webhooks: receiver,
    });
    rec.stop();
    progress.clear();

    const servers =
      server === 'baseline'
        ? `plain socket.io baseline (${options.nodes} process)`
        : `${options.nodes} nodes, broadcast ${options.broadcastPeriodMs} ms${receiver ? ', webhooks to a receiver process' : ''}`;
    const title = `load ${scenario.name}: ${options.connections} connections (${d.users} users, mean degree ${d.mean}, max ${d.max}), ${servers}, ${options.workers} client workers (${options.client}), ${machine.cpus} cores`;
    printTable(title, result.rows);

    const cpu: Record<string, unknown> = {};
    const phases: Record<string, number> = {};
    const eventLoopLag: Record<string, NodeLag[]> = {};
    const workerCpuPerNodeCpu: Record<string, number | null> = {};
    for (const [name, totals] of rec.phases) {
      const cores = rec.cores(name);
      cpu[name] = cores;
      phases[name] = Math.round(totals.seconds * 10) / 10;
      eventLoopLag[name] = nodeLag(rec, name);
      workerCpuPerNodeCpu[name] = workerCpuRatio(cores.groups);
    }
    const svg = join(outDir, `${fileStem}.svg`);
    const record: RunRecord = {
      scenario: scenario.name,
      server,
      date,
      command: `npm run load -- ${[scenario.name, ...argv].join(' ')}`,
      options,
      machine,
      graph: population.degrees,
      processes,
      figures: result.figures,
      phases,
      cpu,
      workerCpuPerNodeCpu,
      eventLoopLag,
      series: rec.series,
    };
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
    process.stdout.write(`chart:   ${svg}\n`);
    return { record, svg };
  } finally {
    recorder?.stop();
    progress.clear();
    await pool?.close();
    await cluster?.stop();
    await receiver?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function splitFlags(flags: string): string[] {
  return flags.split(' ').filter((f) => f !== '');
}
