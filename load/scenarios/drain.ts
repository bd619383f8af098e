/**
 * `drain`: M connections up on the nodes and R status updates per second; then SIGTERM the last
 * node, which drains (`--drain-ms`, default here 20 s): it tells each client to move within the
 * window, each at a random moment, to the next node with the same device (the load workers do as
 * the SDK does), refuses new connections with a hint, and keeps each entry until its device is
 * back elsewhere. Every connection keeps its view, as a Phoenix client does (the workers' `flap`
 * views), and counts the friends it saw go offline: with a drain, 0.
 *
 * Figures: `moved` / `notMoved` (the drained node's connections connected again elsewhere at the
 * end, or not), `msToAllMoved` (SIGTERM to the last one's presence_state elsewhere), `msToExit`
 * (SIGTERM to the drained node's exit, and its exit code), `drainMs`, `seenOfflineByFriends`,
 * `webhooks.offline` with --webhooks (0 expected: nobody went offline), `nodeCpuMsPerConnect` over
 * the drain phase (the moves are its connects).
 */
import { nowMs } from '../clients/protocol.js';
import { Histogram } from '../histogram.js';
import {
  cpuRows,
  enterPhase,
  nodeCpuPerConnect,
  nodeCpuPerConnectRow,
  percentiles,
  rampUp,
  sleep,
} from './common.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { webhookFigures } from './webhook-figures.js';

const WARMUP_MS = 3_000;
/** After the drained node exited: a late leave (a grace that ran out) shows in it. */
const SETTLE_AFTER_MS = 3_000;

export const drain: Scenario = {
  name: 'drain',
  summary:
    'SIGTERM one node under load: its clients move within the drain window, friends see nothing',
  defaults: { connections: 16_000, rate: 100, duration: 90, drainMs: 20_000 },
  poolOptions: () => ({
    countReceipts: false,
    // A connection that drops reconnects on its own too (the drain cuts late ones at its end).
    reconnect: { enabled: true, jitterMs: 1_000 },
    // Phoenix-like views: a friend seen offline is counted.
    flap: true,
  }),
  async run(context: ScenarioContext) {
    const { options, recorder, pool, population, cluster } = context;
    const drained = options.nodes - 1;
    await rampUp(context);
    await enterPhase(context, 'load', WARMUP_MS / 1000);
    pool.broadcast({ kind: 'updates', ratePerSec: options.rate / options.workers });
    await sleep(WARMUP_MS);
    await enterPhase(context, 'drain', options.duration);
    const termAt = nowMs();
    const termT = recorder.elapsed();
    const exit = await Promise.race([
      cluster.terminate(drained).then((code) => ({ code, at: nowMs() })),
      sleep(options.duration * 1000).then(() => undefined),
    ]);
    await enterPhase(context, 'settle-after', SETTLE_AFTER_MS / 1000);
    await sleep(SETTLE_AFTER_MS);
    const settledAt = Date.now();
    pool.broadcast({ kind: 'stopUpdates' });
    await sleep(500);
    const finals = await pool.final();
    await enterPhase(context, 'done');
    const everUp = new Set(finals.flatMap((f) => f.everConnectedIds));
    const webhooks =
      context.webhooks &&
      (await webhookFigures(context, context.webhooks, {
        startMs: termAt,
        endMs: settledAt,
        expectedOnline: new Set([...everUp].map((id) => population.connections[id]!.user)).size,
        expectedOffline: 0,
      }));

    const connectedAtEnd = new Set(finals.flatMap((f) => f.connectedIds));
    const victims = population.connections.filter((c) => c.node === drained && everUp.has(c.id));
    const movedAt = new Map<number, number>();
    for (const f of finals) for (const [id, , at] of f.reconnects) movedAt.set(id, at);
    const moveTimes = new Histogram();
    let moved = 0;
    for (const victim of victims) {
      if (!connectedAtEnd.has(victim.id)) continue;
      moved += 1;
      const at = movedAt.get(victim.id);
      if (at !== undefined) moveTimes.record(at - termAt);
    }
    const notMoved = victims.length - moved;
    const drain = recorder.totals('drain').counters;
    const after = recorder.totals('settle-after').counters;
    const perConnect = nodeCpuPerConnect(recorder, 'drain');
    const lastMove = moveTimes.summary().max;
    const figures = {
      drainedNode: drained,
      drainMs: options.drainMs,
      drainedConnections: victims.length,
      moved,
      notMoved,
      msToAllMoved: notMoved === 0 ? lastMove : null,
      moveMsAfterSigterm: moveTimes.summary(),
      msToExit: exit === undefined ? null : Math.round(exit.at - termAt),
      exitCode: exit === undefined ? null : exit.code,
      seenOfflineByFriends: drain.offlineTransitions + after.offlineTransitions,
      drainMoves: drain.drainMoves,
      drainingRefusals: drain.connectRefusals,
      droppedConnections: drain.droppedConnections + after.droppedConnections,
      connectTimeouts: drain.connectTimeouts + after.connectTimeouts,
      connectedAtEnd: connectedAtEnd.size,
      cpu: recorder.cores('drain'),
      ...perConnect,
      ...(webhooks
        ? { webhooks: { ...webhooks.figures, offline: webhooks.figures.received.offline } }
        : {}),
    };
    const rows = [
      [
        `node${drained} drained: its connections`,
        `${victims.length} (window ${options.drainMs} ms)`,
        '',
      ],
      ['moved to another node / not moved', `${moved} / ${notMoved}`, `${victims.length} / 0`],
      [
        'moved (presence_state elsewhere) after SIGTERM p50 / p99 / max',
        percentiles(moveTimes, ['p50', 'p99', 'max']),
        `≤ drain ${options.drainMs} ms + 5 s`,
      ],
      [
        'drained node exited after / with code',
        `${figures.msToExit ?? '- (still running)'} ms / ${figures.exitCode ?? '-'}`,
        '/ 0',
      ],
      ['friends seen going offline', String(figures.seenOfflineByFriends), '0'],
      [
        'refused while draining (retried elsewhere) / dropped / timeouts',
        `${figures.drainingRefusals} / ${figures.droppedConnections} / ${figures.connectTimeouts}`,
        '- / 0 / 0',
      ],
      nodeCpuPerConnectRow(perConnect),
      ...cpuRows(context, 'drain'),
      ...(webhooks?.rows ?? []),
    ];
    return {
      figures,
      rows,
      chart: [
        { label: 'time to presence_state p99', histogram: 'timeToState', percentile: 'p99' },
        { label: 'fan-out same node p99', histogram: 'fanOutSame', percentile: 'p99' },
      ],
      markers: [{ t: termT, label: `SIGTERM node${drained}` }],
    };
  },
};
