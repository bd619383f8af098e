/**
 * `steady --baseline`: graph-presence's figures next to the plain socket.io baseline's, rate by
 * rate (same graph, clients and updates), and their ratios: ours / baseline deliveries per
 * second (above 1: we deliver more), and p99s (above 1: we are slower).
 */
import type { RateFigures } from './steady.js';

export interface SteadyFigures {
  readonly rates: readonly RateFigures[];
  readonly sustainableDeliveriesPerSecond: number | null;
}

export interface RateComparison {
  readonly rate: number;
  readonly deliveriesPerSecond: { ours: number; baseline: number; ratio: number | null };
  readonly fanOutP50Ms: { ours: number | null; baseline: number | null };
  readonly fanOutP99Ms: { ours: number | null; baseline: number | null; ratio: number | null };
  readonly nodeCores: { ours: number; baseline: number };
  readonly clientCores: { ours: number; baseline: number };
  readonly sustained: { ours: boolean; baseline: boolean };
}

export interface Comparison {
  readonly rates: RateComparison[];
  readonly sustainableDeliveriesPerSecond: {
    ours: number | null;
    baseline: number | null;
    ratio: number | null;
  };
}

function ratio(ours: number | null, baseline: number | null): number | null {
  if (ours === null || baseline === null || baseline === 0) return null;
  return Math.round((ours / baseline) * 100) / 100;
}

export function compareWithBaseline(ours: SteadyFigures, baseline: SteadyFigures): Comparison {
  const rates = ours.rates.map((o, i) => {
    const b = baseline.rates[i]!;
    return {
      rate: o.rate,
      deliveriesPerSecond: {
        ours: o.deliveriesPerSecond,
        baseline: b.deliveriesPerSecond,
        ratio: ratio(o.deliveriesPerSecond, b.deliveriesPerSecond),
      },
      fanOutP50Ms: { ours: o.fanOutMs.all.p50, baseline: b.fanOutMs.all.p50 },
      fanOutP99Ms: {
        ours: o.fanOutMs.all.p99,
        baseline: b.fanOutMs.all.p99,
        ratio: ratio(o.fanOutMs.all.p99, b.fanOutMs.all.p99),
      },
      nodeCores: { ours: o.cpu.nodes, baseline: b.cpu.nodes },
      clientCores: { ours: o.cpu.clients, baseline: b.cpu.clients },
      sustained: { ours: o.sustained, baseline: b.sustained },
    };
  });
  const s = {
    ours: ours.sustainableDeliveriesPerSecond,
    baseline: baseline.sustainableDeliveriesPerSecond,
  };
  return { rates, sustainableDeliveriesPerSecond: { ...s, ratio: ratio(s.ours, s.baseline) } };
}

export function comparisonRows(comparison: Comparison): string[][] {
  const show = (v: number | null) => (v === null ? '-' : String(v));
  const rows = comparison.rates.flatMap((r) => [
    [
      `${r.rate} updates/s: deliveries/s ours / baseline (ratio)`,
      `${r.deliveriesPerSecond.ours} / ${r.deliveriesPerSecond.baseline} (${show(r.deliveriesPerSecond.ratio)})`,
      '',
    ],
    [
      `${r.rate} updates/s: fan-out p50 · p99 ours / baseline (p99 ratio)`,
      `${show(r.fanOutP50Ms.ours)} / ${show(r.fanOutP50Ms.baseline)} ms · ${show(r.fanOutP99Ms.ours)} / ${show(r.fanOutP99Ms.baseline)} ms (${show(r.fanOutP99Ms.ratio)})`,
      '',
    ],
    [
      `${r.rate} updates/s: server cores · client cores, ours / baseline`,
      `${r.nodeCores.ours} / ${r.nodeCores.baseline} · ${r.clientCores.ours} / ${r.clientCores.baseline}`,
      '',
    ],
  ]);
  const s = comparison.sustainableDeliveriesPerSecond;
  rows.push([
    'sustainable deliveries/s (p99 < 1 s) ours / baseline (ratio)',
    `${show(s.ours)} / ${show(s.baseline)} (${show(s.ratio)})`,
    '',
  ]);
  return rows;
}
