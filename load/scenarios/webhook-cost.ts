/**
 * `--webhooks`: what sending online/offline webhooks costs the nodes, from the same scenario run
 * without and then with them (same graph, clients and schedule): connections per second and time
 * to presence_state (connect), and per phase each node's event-loop lag and the nodes' cores.
 * Ratios are with / without: above 1 for a rate means faster with webhooks, above 1 for a
 * latency, lag or CPU means webhooks cost that much more.
 */
import type { LatencySummary } from '../histogram.js';
import type { RunRecord } from '../run.js';
import type { NodeLag } from './common.js';

interface Pair {
  readonly without: number | null;
  readonly with: number | null;
  readonly ratio: number | null;
}

export interface PhaseCost {
  readonly phase: string;
  readonly eventLoopLag: { readonly without: NodeLag[]; readonly with: NodeLag[] };
  readonly nodeCores: Pair;
  readonly receiverCores: number | null;
}

export interface WebhookCost {
  readonly connectionsPerSecond: Pair | null;
  readonly timeToPresenceStateP50Ms: Pair | null;
  readonly timeToPresenceStateP99Ms: Pair | null;
  readonly phases: PhaseCost[];
}

function pair(without: number | null | undefined, withWebhooks: number | null | undefined): Pair {
  const a = without ?? null;
  const b = withWebhooks ?? null;
  return {
    without: a,
    with: b,
    ratio: a === null || b === null || a === 0 ? null : Math.round((b / a) * 100) / 100,
  };
}

type Cores = Record<string, { groups: Record<string, number>; processes: Record<string, number> }>;

export function compareWebhookCost(off: RunRecord, on: RunRecord): WebhookCost {
  const number = (record: RunRecord, key: string) => {
    const v = record.figures[key];
    return typeof v === 'number' ? v : undefined;
  };
  const state = (record: RunRecord) =>
    record.figures['timeToPresenceStateMs'] as LatencySummary | undefined;
  const offLag = off['eventLoopLag'] as Record<string, NodeLag[]>;
  const onLag = on['eventLoopLag'] as Record<string, NodeLag[]>;
  const offCpu = off['cpu'] as Cores;
  const onCpu = on['cpu'] as Cores;
  const phases = Object.keys(offLag)
    .filter((phase) => phase !== 'setup' && phase in onLag)
    .map((phase) => ({
      phase,
      eventLoopLag: { without: offLag[phase]!, with: onLag[phase]! },
      nodeCores: pair(offCpu[phase]?.groups['nodes'], onCpu[phase]?.groups['nodes']),
      receiverCores: onCpu[phase]?.groups['webhooks'] ?? null,
    }));
  const cps = pair(number(off, 'connectionsPerSecond'), number(on, 'connectionsPerSecond'));
  return {
    connectionsPerSecond: cps.without === null ? null : cps,
    timeToPresenceStateP50Ms: state(off) ? pair(state(off)?.p50, state(on)?.p50) : null,
    timeToPresenceStateP99Ms: state(off) ? pair(state(off)?.p99, state(on)?.p99) : null,
    phases,
  };
}

export function webhookCostRows(cost: WebhookCost): string[][] {
  const show = (v: number | null) => (v === null ? '-' : String(v));
  const line = (p: Pair, unit = '') =>
    `${show(p.without)}${unit} / ${show(p.with)}${unit} (${show(p.ratio)})`;
  const lag = (lags: NodeLag[]) =>
    lags.map((l) => `${l.node} ${show(l.p99Ms)} / ${show(l.maxMs)}`).join(', ');
  const rows: string[][] = [];
  if (cost.connectionsPerSecond) {
    rows.push(['connections per second (ramp)', line(cost.connectionsPerSecond, ' /s'), '']);
  }
  if (cost.timeToPresenceStateP50Ms && cost.timeToPresenceStateP99Ms) {
    rows.push(['time to presence_state p50', line(cost.timeToPresenceStateP50Ms, ' ms'), '']);
    rows.push(['time to presence_state p99', line(cost.timeToPresenceStateP99Ms, ' ms'), '']);
  }
  for (const p of cost.phases) {
    rows.push([
      `${p.phase}: node event-loop lag p99 (worst second) / max, without`,
      `${lag(p.eventLoopLag.without)} ms`,
      '',
    ]);
    rows.push([`${p.phase}: the same, with webhooks`, `${lag(p.eventLoopLag.with)} ms`, '']);
    rows.push([
      `${p.phase}: nodes' cores without / with (ratio) · receiver`,
      `${line(p.nodeCores)} · ${show(p.receiverCores)}`,
      '',
    ]);
  }
  return rows;
}
