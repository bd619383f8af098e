/**
 * `steady`: M connections up, R status updates per second for D seconds, spread over the
 * connections. Fan-out latency from the update's send to each receipt (same node and cross node
 * apart: cross-node includes waiting for the sender node's next broadcast), diffs and
 * deliveries per second, expected vs received receipts, node and Redis CPU.
 */
import { Histogram } from '../histogram.js';
import { cpuRow, enterPhase, maxNodeFigure, percentiles, rampUp, sleep } from './common.js';
import { accountDeliveries } from './deliveries.js';
import type { Scenario, ScenarioContext } from './scenario.js';

export const steady: Scenario = {
  name: 'steady',
  summary: 'M connected, R status updates/s: fan-out latency same/cross node, lost deliveries',
  defaults: { duration: 30, rate: 1_000 },
  poolOptions: () => ({ countReceipts: true, reconnect: { enabled: false, jitterMs: 0 } }),
  async run(context) {
    const { options, recorder, pool, population } = context;
    await rampUp(context);
    await enterPhase(context, 'settle', 2);
    await sleep(2_000);
    await enterPhase(context, 'steady', options.duration);
    pool.broadcast({ kind: 'updates', ratePerSec: options.rate / options.workers });
    await sleep(options.duration * 1000);
    pool.broadcast({ kind: 'stopUpdates' });
    await enterPhase(context, 'drain');
    const drained = await drain(context);
    const finals = await pool.final();
    await enterPhase(context, 'done');

    const totals = recorder.totals('steady');
    const c = totals.counters;
    const seconds = options.duration;
    // Receipts of updates sent during the steady phase that arrive while draining count too.
    const same = new Histogram();
    const cross = new Histogram();
    for (const phase of ['steady', 'drain']) {
      same.merge(recorder.histogram(phase, 'fanOutSame'));
      cross.merge(recorder.histogram(phase, 'fanOutCross'));
    }
    const all = new Histogram();
    all.merge(same);
    all.merge(cross);
    const account = accountDeliveries(population, finals);
    const lag = maxNodeFigure(context, 'steady', (m) => m.eventLoopLagP99Ms);
    const clientLag = recorder.histogram('steady', 'workerLoopLag');
    const d = recorder.totals('drain').counters;
    const figures = {
      drainSeconds: drained.seconds,
      drained: drained.done,
      gotPresenceState: new Set(finals.flatMap((f) => f.everConnectedIds)).size,
      updatesPerSecondAsked: options.rate,
      updatesPerSecond: Math.round(c.updatesSent / seconds),
      updatesAcked: c.updatesAcked + d.updatesAcked,
      updatesRejected: c.updatesRejected + d.updatesRejected,
      diffsPerSecond: Math.round(c.diffs / seconds),
      deliveriesPerSecond: Math.round(c.deliveries / seconds),
      fanOutMs: { all: all.summary(), sameNode: same.summary(), crossNode: cross.summary() },
      deliveries: account,
      droppedConnections: c.droppedConnections + d.droppedConnections,
      nodeEventLoopLagP99MaxMs: lag,
      clientEventLoopLagP99Ms: clientLag.summary(),
      cpu: recorder.cores('steady'),
    };
    const rows = [
      [
        'status updates sent / acked / rejected',
        `${c.updatesSent} / ${figures.updatesAcked} / ${figures.updatesRejected} (${figures.updatesPerSecond} /s)`,
        `${options.rate} /s`,
      ],
      [
        'fan-out same node p50 / p99 / p999',
        percentiles(same, ['p50', 'p99', 'p999']),
        'p99 < 50 ms',
      ],
      [
        'fan-out cross node p50 / p99 / p999',
        percentiles(cross, ['p50', 'p99', 'p999']),
        'p99 < 50 ms',
      ],
      ['fan-out all p50 / p99 / p999', percentiles(all, ['p50', 'p99', 'p999']), 'p99 < 50 ms'],
      [
        'diffs / deliveries per second',
        `${figures.diffsPerSecond} / ${figures.deliveriesPerSecond} /s`,
        '',
      ],
      [
        'drained after the last update',
        `${drained.done ? 'yes' : 'NO'}, in ${drained.seconds} s`,
        '',
      ],
      [
        'receipts expected / received / lost',
        `${account.expected} / ${account.received} / ${account.lost}`,
        'lost 0',
      ],
      [
        'connections dropped (not counted above)',
        String(c.droppedConnections + d.droppedConnections),
        '0',
      ],
      [
        'event-loop lag p99: nodes (max) / clients (p99)',
        `${lag ?? '-'} / ${clientLag.summary().p99 ?? '-'} ms`,
        '',
      ],
      cpuRow(context, 'steady'),
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
  },
};

const MAX_DRAIN_MS = 120_000;

/**
 * After the last update: wait until every update has its ack and no receipt arrived for a
 * second (an overloaded run catches up here; its latencies show the backlog). Gives up after
 * 10 s without any progress (connections gone) or 2 min in all.
 */
async function drain(context: ScenarioContext): Promise<{ done: boolean; seconds: number }> {
  const { pool, recorder } = context;
  const started = performance.now();
  let lastProgressAt = started;
  let last = '';
  for (;;) {
    await sleep(250);
    await pool.flush();
    const c = recorder.totals('steady').counters;
    const d = recorder.totals('drain').counters;
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
