/**
 * `steady`: M connections up, R status updates per second for D seconds, spread over the
 * connections. Fan-out latency from the update's send to each receipt (same node and cross node
 * apart: cross-node includes waiting for the sender node's next broadcast), diffs and
 * deliveries per second, expected vs received receipts, node event-loop lag, CPU per side.
 *
 * With `--rates r1,r2,...` it steps through the rates (each: D seconds, then a drain) and
 * reports each, so the sustainable rate (fan-out p99 under 1 s, every update drained) can be
 * read off. `baseline` (load/scenarios/baseline.ts) runs the very same against plain socket.io.
 */
import { Histogram, type LatencySummary } from '../histogram.js';
import type { LoadOptions } from '../options.js';
import {
  cpuRows,
  enterPhase,
  type NodeLag,
  nodeLag,
  percentiles,
  rampUp,
  sleep,
  workerCpuRatio,
} from './common.js';
import { accountDeliveries } from './deliveries.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

/** The fan-out p99 under which a rate counts as sustained. */
export const SUSTAINABLE_P99_MS = 1_000;

export interface RateFigures {
  readonly rate: number;
  readonly steadyPhase: string;
  readonly updatesPerSecond: number;
  readonly updatesSent: number;
  readonly updatesAcked: number;
  readonly updatesRejected: number;
  /** `presence_diff` messages per second (one may carry several metas). */
  readonly diffsPerSecond: number;
  /** Update metas received per second, during the D seconds (achieved, not offered). */
  readonly deliveriesPerSecond: number;
  readonly fanOutMs: {
    readonly all: LatencySummary;
    readonly sameNode: LatencySummary;
    readonly crossNode: LatencySummary;
  };
  readonly drained: boolean;
  readonly drainSeconds: number;
  readonly droppedConnections: number;
  readonly connectRefusals: number;
  readonly nodeEventLoopLag: NodeLag[];
  readonly cpu: { readonly nodes: number; readonly clients: number; readonly redis: number };
  /** Client workers' cores / nodes' cores. */
  readonly workerCpuPerNodeCpu: number | null;
  /** p99 under {@link SUSTAINABLE_P99_MS}, drained, nobody dropped. */
  readonly sustained: boolean;
}

export function ratesOf(options: LoadOptions): number[] {
  return options.rates.length > 0 ? options.rates : [options.rate];
}

/** The best deliveries/s among the sustained rates (null: none was). */
export function sustainable(rates: readonly RateFigures[]): number | null {
  let best: number | null = null;
  for (const r of rates) if (r.sustained) best = Math.max(best ?? 0, r.deliveriesPerSecond);
  return best;
}

async function runRate(
  context: ScenarioContext,
  rate: number,
  steadyPhase: string,
  drainPhase: string,
): Promise<RateFigures> {
  const { options, recorder, pool } = context;
  await enterPhase(context, steadyPhase, options.duration);
  pool.broadcast({ kind: 'updates', ratePerSec: rate / options.workers });
  await sleep(options.duration * 1000);
  pool.broadcast({ kind: 'stopUpdates' });
  await enterPhase(context, drainPhase);
  const drained = await drain(context, steadyPhase, drainPhase);

  const c = recorder.totals(steadyPhase).counters;
  const d = recorder.totals(drainPhase).counters;
  const seconds = options.duration;
  // Receipts of updates sent during the steady phase that arrive while draining count too.
  const same = new Histogram();
  const cross = new Histogram();
  for (const phase of [steadyPhase, drainPhase]) {
    same.merge(recorder.histogram(phase, 'fanOutSame'));
    cross.merge(recorder.histogram(phase, 'fanOutCross'));
  }
  const all = new Histogram();
  all.merge(same);
  all.merge(cross);
  const { groups } = recorder.cores(steadyPhase);
  const dropped = c.droppedConnections + d.droppedConnections;
  const p99 = all.summary().p99;
  return {
    rate,
    steadyPhase,
    updatesPerSecond: Math.round(c.updatesSent / seconds),
    updatesSent: c.updatesSent,
    updatesAcked: c.updatesAcked + d.updatesAcked,
    updatesRejected: c.updatesRejected + d.updatesRejected,
    diffsPerSecond: Math.round(c.diffs / seconds),
    deliveriesPerSecond: Math.round(c.deliveries / seconds),
    fanOutMs: { all: all.summary(), sameNode: same.summary(), crossNode: cross.summary() },
    drained: drained.done,
    drainSeconds: drained.seconds,
    droppedConnections: dropped,
    connectRefusals: c.connectRefusals + d.connectRefusals,
    nodeEventLoopLag: nodeLag(recorder, steadyPhase),
    cpu: { nodes: groups.nodes, clients: groups.clients, redis: groups.redis },
    workerCpuPerNodeCpu: workerCpuRatio(groups),
    sustained: drained.done && dropped === 0 && p99 !== null && p99 < SUSTAINABLE_P99_MS,
  };
}

function lagText(lags: readonly NodeLag[]): string {
  return lags.map((l) => `${l.p99Ms ?? '-'}/${l.maxMs ?? '-'}`).join(' ');
}

/** One row per rate: what was asked, reached, how fast, at what cost. */
export function rateRows(rates: readonly RateFigures[]): string[][] {
  return rates.map((r) => [
    `${r.rate} updates/s: deliveries/s · fan-out p50/p99 · node lag p99/max · CPU nodes/clients`,
    `${r.deliveriesPerSecond} /s · ${r.fanOutMs.all.p50 ?? '-'} / ${r.fanOutMs.all.p99 ?? '-'} ms · ${lagText(r.nodeEventLoopLag)} ms · ${r.cpu.nodes} / ${r.cpu.clients} cores${r.drained ? '' : ' · NOT drained'}${r.droppedConnections ? ` · ${r.droppedConnections} dropped` : ''}`,
    r.sustained ? 'sustained' : `p99 ≥ ${SUSTAINABLE_P99_MS} ms or not drained`,
  ]);
}

export async function runSteady(context: ScenarioContext): Promise<ScenarioResult> {
  const { options, recorder, pool, population } = context;
  await rampUp(context);
  await enterPhase(context, 'settle', 2);
  await sleep(2_000);
  const rates = ratesOf(options);
  const stepped = rates.length > 1;
  const perRate: RateFigures[] = [];
  for (const rate of rates) {
    perRate.push(
      await runRate(
        context,
        rate,
        stepped ? `steady@${rate}` : 'steady',
        stepped ? `drain@${rate}` : 'drain',
      ),
    );
  }
  const finals = await pool.final();
  await enterPhase(context, 'done');

  const first = perRate[0]!;
  const account = accountDeliveries(population, finals);
  const clientLag = recorder.histogram(first.steadyPhase, 'workerLoopLag');
  const lagMax = (l: readonly NodeLag[]) =>
    l.reduce<number | null>((m, x) => (x.p99Ms === null ? m : Math.max(m ?? 0, x.p99Ms)), null);
  const figures = {
    drainSeconds: first.drainSeconds,
    drained: first.drained,
    gotPresenceState: new Set(finals.flatMap((f) => f.everConnectedIds)).size,
    updatesPerSecondAsked: first.rate,
    updatesPerSecond: first.updatesPerSecond,
    updatesAcked: perRate.reduce((n, r) => n + r.updatesAcked, 0),
    updatesRejected: perRate.reduce((n, r) => n + r.updatesRejected, 0),
    diffsPerSecond: first.diffsPerSecond,
    deliveriesPerSecond: first.deliveriesPerSecond,
    fanOutMs: first.fanOutMs,
    deliveries: account,
    droppedConnections: perRate.reduce((n, r) => n + r.droppedConnections, 0),
    connectRefusals: recorder.totals('ramp').counters.connectRefusals,
    nodeEventLoopLagP99MaxMs: lagMax(first.nodeEventLoopLag),
    nodeEventLoopLag: first.nodeEventLoopLag,
    clientEventLoopLagP99Ms: clientLag.summary(),
    cpu: recorder.cores(first.steadyPhase),
    workerCpuPerNodeCpu: first.workerCpuPerNodeCpu,
    rates: perRate,
    sustainableDeliveriesPerSecond: sustainable(perRate),
  };
  const rows = [
    ...(stepped
      ? rateRows(perRate)
      : [
          [
            'status updates sent / acked / rejected',
            `${first.updatesSent} / ${first.updatesAcked} / ${first.updatesRejected} (${first.updatesPerSecond} /s)`,
            `${first.rate} /s`,
          ],
          [
            'fan-out same node p50 / p99 / p999',
            percentiles(recorderHistogram(context, first, 'fanOutSame'), ['p50', 'p99', 'p999']),
            'p99 < 50 ms',
          ],
          [
            'fan-out cross node p50 / p99 / p999',
            percentiles(recorderHistogram(context, first, 'fanOutCross'), ['p50', 'p99', 'p999']),
            'p99 < 50 ms',
          ],
          [
            'fan-out all p50 / p99 / p999',
            `${first.fanOutMs.all.p50 ?? '-'} / ${first.fanOutMs.all.p99 ?? '-'} / ${first.fanOutMs.all.p999 ?? '-'} ms`,
            'p99 < 50 ms',
          ],
          [
            'diffs (messages) / deliveries (metas) per second',
            `${first.diffsPerSecond} / ${first.deliveriesPerSecond} /s`,
            '',
          ],
          [
            'drained after the last update',
            `${first.drained ? 'yes' : 'NO'}, in ${first.drainSeconds} s`,
            '',
          ],
        ]),
    [
      'sustainable deliveries/s (fan-out p99 < 1 s, drained)',
      figures.sustainableDeliveriesPerSecond === null
        ? 'none of the rates'
        : `${figures.sustainableDeliveriesPerSecond} /s`,
      '',
    ],
    [
      'receipts expected / received / lost',
      `${account.expected} / ${account.received} / ${account.lost}${account.extra ? ` (+${account.extra} extra)` : ''}`,
      'lost 0',
    ],
    ['connections dropped (not counted above)', String(figures.droppedConnections), '0'],
    ['client event-loop lag p99', `${clientLag.summary().p99 ?? '-'} ms`, ''],
    ...cpuRows(context, first.steadyPhase),
  ];
  return {
    figures,
    rows,
    chart: [
      { label: 'same node p50', histogram: 'fanOutSame', percentile: 'p50' },
      { label: 'same node p99', histogram: 'fanOutSame', percentile: 'p99' },
      { label: 'cross node p50', histogram: 'fanOutCross', percentile: 'p50' },
      { label: 'cross node p99', histogram: 'fanOutCross', percentile: 'p99' },
      { label: 'cross node p999', histogram: 'fanOutCross', percentile: 'p999' },
      { label: 'time to presence_state p99', histogram: 'timeToState', percentile: 'p99' },
    ],
  };
}

function recorderHistogram(
  context: ScenarioContext,
  rate: RateFigures,
  name: 'fanOutSame' | 'fanOutCross',
): Histogram {
  const h = new Histogram();
  const drainPhase = rate.steadyPhase.replace('steady', 'drain');
  for (const phase of [rate.steadyPhase, drainPhase])
    h.merge(context.recorder.histogram(phase, name));
  return h;
}

export const steady: Scenario = {
  name: 'steady',
  summary:
    'M connected, R status updates/s: fan-out latency same/cross node, lost deliveries (--rates, --baseline)',
  defaults: { duration: 30, rate: 1_000 },
  poolOptions: () => ({ countReceipts: true, reconnect: { enabled: false, jitterMs: 0 } }),
  run: runSteady,
};

const MAX_DRAIN_MS = 120_000;

/**
 * After the last update: wait until every update has its ack and no receipt arrived for a
 * second (an overloaded run catches up here; its latencies show the backlog). Gives up after
 * 10 s without any progress (connections gone) or 2 min in all.
 */
async function drain(
  context: ScenarioContext,
  steadyPhase: string,
  drainPhase: string,
): Promise<{ done: boolean; seconds: number }> {
  const { pool, recorder } = context;
  const started = performance.now();
  let lastProgressAt = started;
  let last = '';
  for (;;) {
    await sleep(250);
    await pool.flush();
    const c = recorder.totals(steadyPhase).counters;
    const d = recorder.totals(drainPhase).counters;
    const answered = c.updatesAcked + c.updatesRejected + d.updatesAcked + d.updatesRejected;
    const now = performance.now();
    const seconds = Math.round((now - started) / 100) / 10;
    const progress = `${answered}/${d.deliveries}`;
    if (progress !== last) lastProgressAt = now;
    last = progress;
    const quietMs = now - lastProgressAt;
    if (answered >= c.updatesSent && quietMs >= 1_000) return { done: true, seconds };
    if (quietMs >= 10_000 || now - started > MAX_DRAIN_MS) return { done: false, seconds };
  }
}
