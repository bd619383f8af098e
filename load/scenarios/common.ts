/** Steps and formatting shared by the scenarios. */
import type { Histogram } from '../histogram.js';
import type { Recorder } from '../recorder.js';
import type { ScenarioContext } from './scenario.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a phase after the workers have reported everything measured in the previous one. */
export async function enterPhase(
  context: ScenarioContext,
  name: string,
  expectedSeconds?: number,
): Promise<void> {
  await context.pool.flush();
  context.recorder.setPhase(name, expectedSeconds);
}

/** Opens every connection at the configured ramp rate; resolves with the ramp's seconds. */
export async function rampUp(context: ScenarioContext, phase = 'ramp'): Promise<number> {
  const { options, pool } = context;
  await enterPhase(context, phase, Math.ceil(options.connections / options.rampRate));
  const started = performance.now();
  await pool.connect(options.rampRate, options.concurrency);
  return (performance.now() - started) / 1000;
}

/** `p50 / p99 / p999 ms` of a histogram, `-` parts when empty. */
export function percentiles(h: Histogram, which: ('p50' | 'p99' | 'p999' | 'max')[]): string {
  const s = h.summary();
  return `${which.map((w) => (s[w] === null ? '-' : String(s[w]))).join(' / ')} ms`;
}

/**
 * The rows every scenario ends with, for a phase: each node's event-loop lag, cores per side and
 * per process, and what the client workers cost next to the nodes (on one machine they share
 * the cores: a generator costing as much as the server makes every figure pessimistic).
 */
export function cpuRows(context: ScenarioContext, phase: string): string[][] {
  const { groups, processes } = context.recorder.cores(phase);
  const nodes = Object.entries(processes)
    .filter(([name]) => name.startsWith('node'))
    .map(([name, cores]) => `${name} ${cores}`)
    .join(', ');
  const lag = nodeLag(context.recorder, phase)
    .map((l) => `${l.node} ${l.p99Ms ?? '-'} / ${l.maxMs ?? '-'}`)
    .join(', ');
  const ratio = workerCpuRatio(groups);
  const receiver = context.recorder.watchedProcesses().some((p) => p.group === 'webhooks');
  return [
    [`node event-loop lag during ${phase}: p99 (worst second) / max`, `${lag} ms`, ''],
    [
      `CPU during ${phase} (cores)`,
      `nodes ${groups.nodes} (${nodes}) · redis ${groups.redis} · clients ${groups.clients} · driver ${groups.driver}${receiver ? ` · webhook receiver ${groups.webhooks}` : ''}`,
      '',
    ],
    [
      'client workers’ CPU / nodes’ CPU',
      ratio === null
        ? '-'
        : `${ratio} (the generator costs ${ratio < 0.5 ? 'far less than' : ratio < 1 ? 'less than' : 'as much as or more than'} the servers)`,
      '≪ 1',
    ],
  ];
}

/** Client workers' cores over the nodes' cores (null when the nodes were idle). */
export function workerCpuRatio(groups: { nodes: number; clients: number }): number | null {
  return groups.nodes > 0 ? Math.round((groups.clients / groups.nodes) * 100) / 100 : null;
}

export interface NodeLag {
  readonly node: string;
  /** The worst one-second p99 of the phase (prom-client's histogram resets at each scrape). */
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/** Each node's event-loop lag during a phase, from its /metrics scraped once a second. */
export function nodeLag(recorder: Recorder, phase: string): NodeLag[] {
  const out: { node: string; p99Ms: number | null; maxMs: number | null }[] = [];
  for (const point of recorder.series) {
    if (point.phase !== phase) continue;
    point.nodes.forEach((m, i) => {
      out[i] ??= { node: `node${i}`, p99Ms: null, maxMs: null };
      if (!m) return;
      const slot = out[i]!;
      if (Number.isFinite(m.eventLoopLagP99Ms)) {
        slot.p99Ms = Math.max(slot.p99Ms ?? 0, round1(m.eventLoopLagP99Ms));
      }
      if (Number.isFinite(m.eventLoopLagMaxMs)) {
        slot.maxMs = Math.max(slot.maxMs ?? 0, round1(m.eventLoopLagMaxMs));
      }
    });
  }
  return out.filter((l) => l !== undefined);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The largest value a node reported for one /metrics figure during a phase. */
export function maxNodeFigure(
  context: ScenarioContext,
  phase: string,
  read: (m: { eventLoopLagP99Ms: number }) => number,
): number | null {
  let max: number | null = null;
  for (const point of context.recorder.series) {
    if (point.phase !== phase) continue;
    for (const m of point.nodes) {
      if (m && Number.isFinite(read(m))) max = Math.max(max ?? 0, read(m));
    }
  }
  return max === null ? null : Math.round(max * 10) / 10;
}

/** The nodes' CPU per completed connect in a phase (figures' `nodeCpuMsPerConnect`). */
export interface NodeCpuPerConnect {
  /** Node process CPU time (user + sys) over the connects completed; null without connects. */
  readonly nodeCpuMsPerConnect: number | null;
  /** What it is made of: the phase, the nodes' CPU seconds in it, the connects completed. */
  readonly nodeCpuPerConnect: {
    readonly phase: string;
    readonly nodeCpuSeconds: number;
    readonly connects: number;
  };
}

/**
 * The nodes' process CPU time (user + sys, from /proc/<pid>/stat, load/cluster/proc-stats.ts)
 * during a phase over the connects completed in it (a `presence_state` received). Everything the
 * nodes did in the phase counts (leaves in churn, updates in failover): it is the price of a
 * connect as the scenario pays it. A killed node's CPU counts until its last sample.
 */
export function nodeCpuPerConnect(recorder: Recorder, phase: string): NodeCpuPerConnect {
  const totals = recorder.totals(phase);
  let cpuSeconds = 0;
  for (const p of recorder.watchedProcesses()) {
    if (p.group === 'nodes') cpuSeconds += totals.cpuSeconds[p.name] ?? 0;
  }
  const connects = totals.counters.presenceStates;
  return {
    nodeCpuMsPerConnect:
      connects === 0 ? null : Math.round(((cpuSeconds * 1000) / connects) * 1000) / 1000,
    nodeCpuPerConnect: {
      phase,
      nodeCpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
      connects,
    },
  };
}

/** The table row of {@link nodeCpuPerConnect}. */
export function nodeCpuPerConnectRow(figure: NodeCpuPerConnect): string[] {
  const { nodeCpuSeconds, connects, phase } = figure.nodeCpuPerConnect;
  return [
    `nodes' CPU per connect (${phase})`,
    figure.nodeCpuMsPerConnect === null
      ? '- (no connect completed)'
      : `${figure.nodeCpuMsPerConnect} ms (${nodeCpuSeconds} CPU s / ${connects} connects)`,
    '≤ 1 ms',
  ];
}
