/**
 * `connect --baseline`: the `connect` ramp against what a developer would write by hand with
 * socket.io alone (load/baseline/baseline-server.ts: the same JWT check with jose, a join of the
 * rooms `user:<friend>` of the same generated graph, a `presence_state` of the online friends'
 * metas, a join diff to the room `user:<self>`), one process, on the same clients in the same
 * run; then the two side by side: node CPU per connect, connects per second, time to
 * `presence_state`, and ours / baseline ratios.
 */
import { connect } from './connect.js';
import type { Scenario } from './scenario.js';

export const connectBaseline: Scenario = {
  ...connect,
  name: 'connect-baseline',
  summary: 'connect against a hand-written socket.io server (1 process): the yardstick for connect',
  server: 'baseline',
  defaults: { ...connect.defaults, nodes: 1 },
};

/** The figures of a connect run this comparison reads. */
interface ConnectFigures {
  readonly nodeCpuMsPerConnect: number | null;
  readonly connectionsPerSecond: number;
  readonly gotPresenceState: number;
  readonly connectTimeouts: number;
  readonly presenceStateMetasMean: number | null;
  readonly timeToPresenceStateMs: { readonly p50: number | null; readonly p99: number | null };
  readonly cpu: { readonly groups: { readonly nodes: number } };
}

export interface ConnectComparison {
  readonly nodeCpuMsPerConnect: Pair;
  readonly connectionsPerSecond: Pair;
  readonly timeToPresenceStateP99Ms: Pair;
  readonly nodeCores: Pair;
  /** The states' size, to check both servers did the same work. */
  readonly presenceStateMetasMean: Pair;
}

interface Pair {
  readonly ours: number | null;
  readonly baseline: number | null;
  /** ours / baseline; null when either is missing or the baseline is 0. */
  readonly ratio: number | null;
}

function pair(ours: number | null, baseline: number | null): Pair {
  const ratio =
    ours === null || baseline === null || baseline === 0
      ? null
      : Math.round((ours / baseline) * 100) / 100;
  return { ours, baseline, ratio };
}

/** What `figures.baseline` holds: the baseline's own figures a reader compares against. */
export function baselineConnectFigures(baseline: Record<string, unknown>) {
  const b = baseline as unknown as ConnectFigures;
  return {
    nodeCpuMsPerConnect: b.nodeCpuMsPerConnect,
    connectionsPerSecond: b.connectionsPerSecond,
    gotPresenceState: b.gotPresenceState,
    connectTimeouts: b.connectTimeouts,
    presenceStateMetasMean: b.presenceStateMetasMean,
    timeToPresenceStateMs: b.timeToPresenceStateMs,
  };
}

export function compareConnect(
  ours: Record<string, unknown>,
  baseline: Record<string, unknown>,
): ConnectComparison {
  const o = ours as unknown as ConnectFigures;
  const b = baseline as unknown as ConnectFigures;
  return {
    nodeCpuMsPerConnect: pair(o.nodeCpuMsPerConnect, b.nodeCpuMsPerConnect),
    connectionsPerSecond: pair(o.connectionsPerSecond, b.connectionsPerSecond),
    timeToPresenceStateP99Ms: pair(o.timeToPresenceStateMs.p99, b.timeToPresenceStateMs.p99),
    nodeCores: pair(o.cpu.groups.nodes, b.cpu.groups.nodes),
    presenceStateMetasMean: pair(o.presenceStateMetasMean, b.presenceStateMetasMean),
  };
}

export function connectComparisonRows(comparison: ConnectComparison): string[][] {
  const show = (v: number | null) => (v === null ? '-' : String(v));
  const row = (label: string, p: Pair, unit: string, target = '') => [
    `${label} ours / baseline (ratio)`,
    `${show(p.ours)} / ${show(p.baseline)}${unit} (${show(p.ratio)})`,
    target,
  ];
  return [
    row("nodes' CPU per connect", comparison.nodeCpuMsPerConnect, ' ms', 'ratio ≤ 0.5'),
    row('connections per second', comparison.connectionsPerSecond, ' /s'),
    row('time to presence_state p99', comparison.timeToPresenceStateP99Ms, ' ms'),
    row('server cores during the ramp', comparison.nodeCores, ''),
    row('metas per presence_state (mean)', comparison.presenceStateMetasMean, ''),
  ];
}
