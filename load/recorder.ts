/**
 * Gathers a run's measurements: worker ticks, node /metrics, and /proc CPU and RSS of every
 * process, once a second, into a time series and per-phase totals. Drives the progress line.
 */

import {
  emptyCounters,
  HISTOGRAM_NAMES,
  type HistogramName,
  type TickCounters,
  type WorkerTick,
} from './clients/protocol.js';
import type { Cluster, NodeMetrics } from './cluster/cluster.js';
import { sampleProcess } from './cluster/proc-stats.js';
import { Histogram } from './histogram.js';
import type { Progress } from './progress.js';

export type ProcessGroup = 'nodes' | 'redis' | 'clients' | 'driver' | 'webhooks';

export interface WatchedProcess {
  readonly name: string;
  readonly group: ProcessGroup;
  readonly pid: number;
}

export interface SeriesPoint {
  /** Seconds since the run started. */
  readonly t: number;
  readonly phase: string;
  readonly connected: number;
  readonly counters: TickCounters;
  /** p50/p99/p999 (ms) of what was recorded during this second. */
  readonly latency: Partial<Record<HistogramName, { p50: number; p99: number; p999: number }>>;
  /** Cores used during this second, per process. */
  readonly cpu: Record<string, number>;
  readonly rssMiB: Record<string, number>;
  readonly nodes: (NodeMetrics | null)[];
}

export interface PhaseTotals {
  seconds: number;
  readonly counters: TickCounters;
  readonly histograms: Map<HistogramName, Histogram>;
  /** CPU seconds used during the phase, per process. */
  readonly cpuSeconds: Record<string, number>;
}

function addCounters(into: TickCounters, from: TickCounters): void {
  for (const key of Object.keys(into) as (keyof TickCounters)[]) into[key] += from[key];
}

export class Recorder {
  readonly series: SeriesPoint[] = [];
  readonly phases = new Map<string, PhaseTotals>();
  private readonly startedAt = performance.now();
  private phase = 'setup';
  private phaseStartedAt = performance.now();
  private phaseExpectedSeconds: number | undefined;
  private second = this.freshSecond();
  private readonly connectedByWorker = new Map<number, number>();
  private readonly lastCpu = new Map<string, number>();
  private lastSampleAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private readonly processes: WatchedProcess[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly progress: Progress,
    private readonly scenario: string,
  ) {}

  private freshSecond() {
    return { counters: emptyCounters(), histograms: new Map<HistogramName, Histogram>() };
  }

  watch(processes: readonly WatchedProcess[]): void {
    for (const p of processes) {
      this.processes.push(p);
      this.lastCpu.set(p.name, sampleProcess(p.pid)?.cpuSeconds ?? 0);
    }
  }

  watchedProcesses(): readonly WatchedProcess[] {
    return this.processes;
  }

  start(): void {
    this.lastSampleAt = performance.now();
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Seconds since the run started. */
  elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** CPU and wall time since the last call go to the current phase; returns cores per process. */
  private accountCpu(): { cpu: Record<string, number>; rssMiB: Record<string, number> } {
    const now = performance.now();
    const wall = Math.max((now - this.lastSampleAt) / 1000, 1e-3);
    this.lastSampleAt = now;
    const phase = this.totals(this.phase);
    phase.seconds += wall;
    const cpu: Record<string, number> = {};
    const rssMiB: Record<string, number> = {};
    for (const p of this.processes) {
      const s = sampleProcess(p.pid);
      if (!s) continue;
      const used = s.cpuSeconds - (this.lastCpu.get(p.name) ?? s.cpuSeconds);
      this.lastCpu.set(p.name, s.cpuSeconds);
      phase.cpuSeconds[p.name] = (phase.cpuSeconds[p.name] ?? 0) + used;
      cpu[p.name] = Math.round((used / wall) * 100) / 100;
      rssMiB[p.name] = Math.round(s.rssBytes / 2 ** 20);
    }
    return { cpu, rssMiB };
  }

  setPhase(name: string, expectedSeconds?: number): void {
    this.accountCpu();
    this.phase = name;
    this.phaseStartedAt = performance.now();
    this.phaseExpectedSeconds = expectedSeconds;
    this.progress.note(
      `[${this.scenario}] ${name}${expectedSeconds ? ` (~${expectedSeconds} s)` : ''}`,
    );
  }

  totals(phase: string): PhaseTotals {
    let totals = this.phases.get(phase);
    if (!totals) {
      totals = { seconds: 0, counters: emptyCounters(), histograms: new Map(), cpuSeconds: {} };
      this.phases.set(phase, totals);
    }
    return totals;
  }

  /** Merged histogram of a phase (empty if nothing was recorded). */
  histogram(phase: string, name: HistogramName): Histogram {
    return this.totals(phase).histograms.get(name) ?? new Histogram();
  }

  /** Cores used on average during a phase, per group and per process. */
  cores(phase: string): {
    groups: Record<ProcessGroup, number>;
    processes: Record<string, number>;
  } {
    const totals = this.totals(phase);
    const seconds = Math.max(totals.seconds, 1e-9);
    const groups: Record<ProcessGroup, number> = {
      nodes: 0,
      redis: 0,
      clients: 0,
      driver: 0,
      webhooks: 0,
    };
    const processes: Record<string, number> = {};
    for (const p of this.processes) {
      const cores = (totals.cpuSeconds[p.name] ?? 0) / seconds;
      processes[p.name] = Math.round(cores * 100) / 100;
      groups[p.group] += cores;
    }
    for (const g of Object.keys(groups) as ProcessGroup[]) {
      groups[g] = Math.round(groups[g] * 100) / 100;
    }
    return { groups, processes };
  }

  connected(): number {
    let sum = 0;
    for (const n of this.connectedByWorker.values()) sum += n;
    return sum;
  }

  onTick(tick: WorkerTick): void {
    this.connectedByWorker.set(tick.index, tick.connected);
    const phase = this.totals(this.phase);
    addCounters(this.second.counters, tick.counters);
    addCounters(phase.counters, tick.counters);
    for (const name of HISTOGRAM_NAMES) {
      const data = tick.histograms[name];
      if (!data) continue;
      for (const target of [this.second.histograms, phase.histograms]) {
        let h = target.get(name);
        if (!h) {
          h = new Histogram();
          target.set(name, h);
        }
        h.merge(data);
      }
    }
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const { cpu, rssMiB } = this.accountCpu();
      const nodes = await Promise.all(
        this.cluster.nodes.map(async (_, i) => (await this.cluster.metrics(i)) ?? null),
      );
      const latency: SeriesPoint['latency'] = {};
      for (const [name, h] of this.second.histograms) {
        const r = (q: number) => Math.round(h.percentile(q) * 100) / 100;
        latency[name] = { p50: r(0.5), p99: r(0.99), p999: r(0.999) };
      }
      const point: SeriesPoint = {
        t: Math.round(this.elapsed() * 10) / 10,
        phase: this.phase,
        connected: this.connected(),
        counters: this.second.counters,
        latency,
        cpu,
        rssMiB,
        nodes,
      };
      this.series.push(point);
      this.second = this.freshSecond();
      this.drawProgress(point);
    } finally {
      this.sampling = false;
    }
  }

  private drawProgress(point: SeriesPoint): void {
    const inPhase = (performance.now() - this.phaseStartedAt) / 1000;
    const fraction =
      this.phaseExpectedSeconds === undefined ? undefined : inPhase / this.phaseExpectedSeconds;
    const c = point.counters;
    let nodeCores = 0;
    let clientCores = 0;
    for (const p of this.processes) {
      if (p.group === 'nodes') nodeCores += point.cpu[p.name] ?? 0;
      if (p.group === 'clients') clientCores += point.cpu[p.name] ?? 0;
    }
    const parts = [
      `${Math.round(inPhase)}s`,
      `conns ${point.connected}`,
      c.updatesSent ? `upd ${c.updatesSent}/s` : '',
      c.deliveries ? `recv ${c.deliveries}/s` : '',
      c.leaves ? `leaves ${c.leaves}/s` : '',
      c.connectTimeouts ? `timeouts ${c.connectTimeouts}` : '',
      point.latency.fanOutCross ? `xnode p99 ${point.latency.fanOutCross.p99}ms` : '',
      `cpu nodes ${nodeCores.toFixed(1)} clients ${clientCores.toFixed(1)}`,
    ];
    this.progress.update(
      `[${this.scenario}:${this.phase}]`,
      fraction,
      parts.filter((s) => s !== '').join(' | '),
    );
  }
}
