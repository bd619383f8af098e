/**
 * `failover`: M connections up and R status updates per second; then SIGKILL the last node.
 * - offline everywhere: for every connection of the killed node, every steady observer on the
 *   surviving nodes (a connection that sees its user and never dropped) must see its leave;
 *   the time from the kill until the last observer did, against --down-period-ms;
 * - back online: its client reconnects to another node (after 0..--reconnect-jitter-ms) and
 *   gets a presence_state, and the observers see it join again;
 * - nothing else disturbed: no leave of any presence on the surviving nodes, no dropped
 *   connection there.
 */
import { nowMs, type SeenRecord, type WorkerFinal } from '../clients/protocol.js';
import { Histogram } from '../histogram.js';
import { watchersOf } from '../social-graph/population.js';
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

const WARMUP_MS = 5_000;

function merged(finals: WorkerFinal[], pick: (f: WorkerFinal) => [number, SeenRecord][]) {
  const out = new Map<number, SeenRecord>();
  for (const f of finals) {
    for (const [id, r] of pick(f)) {
      const m = out.get(id);
      if (m) {
        m.count += r.count;
        m.lastAt = Math.max(m.lastAt, r.lastAt);
      } else out.set(id, { ...r });
    }
  }
  return out;
}

export const failover: Scenario = {
  name: 'failover',
  summary: 'SIGKILL one node under load: offline everywhere, reconnect elsewhere, nobody else hit',
  // The survivor takes every connection: 16,000 stays under the 20,000 open files per process.
  // 100 updates/s is load this machine sustains (steady shows where it stops keeping up), so
  // the figures are about the failover, not about an overload that was there before it.
  defaults: { connections: 16_000, rate: 100, duration: 90, reconnectJitterMs: 3_000 },
  poolOptions: (options) => ({
    countReceipts: false,
    reconnect: { enabled: true, jitterMs: options.reconnectJitterMs },
    watchNode: options.nodes - 1,
  }),
  async run(context: ScenarioContext) {
    const { options, recorder, pool, population, cluster } = context;
    const killed = options.nodes - 1;
    await rampUp(context);
    await enterPhase(context, 'load', WARMUP_MS / 1000);
    pool.broadcast({ kind: 'updates', ratePerSec: options.rate / options.workers });
    await sleep(WARMUP_MS);
    await enterPhase(context, 'after-kill', options.duration);
    const killAt = nowMs();
    const killT = recorder.elapsed();
    cluster.kill(killed);
    // Until every connection is back (and the down period is over), at most --duration seconds.
    const before = recorder.connected();
    const deadline = performance.now() + options.duration * 1000;
    const earliest = performance.now() + options.downPeriodMs + 5_000;
    while (performance.now() < deadline) {
      await sleep(1_000);
      if (performance.now() >= earliest && recorder.connected() >= before) {
        await sleep(3_000);
        break;
      }
    }
    const recoveredAt = Date.now();
    pool.broadcast({ kind: 'stopUpdates' });
    await sleep(1_000);
    const finals = await pool.final();
    await enterPhase(context, 'done');
    // With --webhooks: the storm is the recovery; a user whose devices all were on the killed
    // node may go offline if it is back after the down period plus the offline delay.
    const webhooks =
      context.webhooks &&
      (await webhookFigures(context, context.webhooks, {
        startMs: killAt,
        endMs: recoveredAt,
        expectedOnline: new Set(
          finals.flatMap((f) => f.everConnectedIds.map((id) => population.connections[id]!.user)),
        ).size,
      }));

    const dropped = new Set(finals.flatMap((f) => f.droppedIds));
    const everUp = new Set(finals.flatMap((f) => f.everConnectedIds));
    const victims = population.connections.filter((c) => c.node === killed && everUp.has(c.id));
    const isObserver = (id: number) =>
      population.connections[id]!.node !== killed && everUp.has(id) && !dropped.has(id);
    const offline = merged(finals, (f) => f.offlineSeen);
    const online = merged(finals, (f) => f.onlineSeen);
    const reconnectAt = new Map<number, number>();
    for (const f of finals) for (const [id, , at] of f.reconnects) reconnectAt.set(id, at);

    const offlineTimes = new Histogram();
    const onlineTimes = new Histogram();
    const reconnectTimes = new Histogram();
    let watchedVictims = 0;
    let offlineIncomplete = 0;
    let onlineIncomplete = 0;
    let notReconnected = 0;
    let observations = 0;
    for (const victim of victims) {
      const at = reconnectAt.get(victim.id);
      if (at === undefined) notReconnected += 1;
      else reconnectTimes.record(at - killAt);
      const want = watchersOf(population, victim.user).filter(
        (w) => w !== victim.id && isObserver(w),
      ).length;
      if (want === 0) continue;
      watchedVictims += 1;
      observations += want;
      const off = offline.get(victim.id);
      if (!off || off.count < want) offlineIncomplete += 1;
      if (off) offlineTimes.record(off.lastAt - killAt);
      const on = online.get(victim.id);
      if (!on || on.count < want) onlineIncomplete += 1;
      if (on) onlineTimes.record(on.lastAt - killAt);
    }
    const survivorsDropped = [...dropped].filter(
      (id) => population.connections[id]!.node !== killed,
    ).length;
    const spuriousLeaves = [...recorder.phases.values()].reduce(
      (n, p) => n + p.counters.spuriousLeaves,
      0,
    );
    const reconnectLeaves = [...recorder.phases.values()].reduce(
      (n, p) => n + p.counters.reconnectLeaves,
      0,
    );
    const offlineMax = offlineTimes.summary().max;
    const perConnect = nodeCpuPerConnect(recorder, 'after-kill');
    const figures = {
      gotPresenceState: new Set(finals.flatMap((f) => f.everConnectedIds)).size,
      killedNode: killed,
      downPeriodMs: options.downPeriodMs,
      broadcastPeriodMs: options.broadcastPeriodMs,
      killedConnections: victims.length,
      watchedKilledConnections: watchedVictims,
      observations,
      offlineEverywhere: {
        incomplete: offlineIncomplete,
        msAfterKill: offlineTimes.summary(),
        withinDownPeriod:
          offlineIncomplete === 0 &&
          offlineMax !== null &&
          offlineMax <= options.downPeriodMs + 2 * options.broadcastPeriodMs + 1000,
      },
      reconnected: {
        notReconnected,
        msAfterKill: reconnectTimes.summary(),
      },
      onlineAgain: { incomplete: onlineIncomplete, msAfterKill: onlineTimes.summary() },
      undisturbed: { spuriousLeaves, survivorsDropped },
      abandonedReconnectLeaves: reconnectLeaves,
      /** Reconnects refused with `overloaded` (each retried after the server's hint). */
      overloadedRefusals: recorder.totals('after-kill').counters.connectRefusals,
      cpu: recorder.cores('after-kill'),
      ...perConnect,
      ...(webhooks ? { webhooks: webhooks.figures } : {}),
    };
    const rows = [
      [
        `node${killed} killed: its connections`,
        `${victims.length} (${watchedVictims} watched by ${observations} observer links on the survivors)`,
        '',
      ],
      [
        'offline everywhere after kill p50 / p99 / max',
        `${percentiles(offlineTimes, ['p50', 'p99', 'max'])}${offlineIncomplete ? ` (${offlineIncomplete} NOT seen offline by all)` : ''}`,
        `≤ down period ${options.downPeriodMs} ms`,
      ],
      [
        'reconnected (presence_state) after kill p50 / p99 / max',
        `${percentiles(reconnectTimes, ['p50', 'p99', 'max'])}${notReconnected ? ` (${notReconnected} NOT reconnected)` : ''}`,
        `(jitter 0..${options.reconnectJitterMs} ms)`,
      ],
      [
        'online again for observers p50 / p99 / max',
        `${percentiles(onlineTimes, ['p50', 'p99', 'max'])}${onlineIncomplete ? ` (${onlineIncomplete} NOT seen back by all)` : ''}`,
        '',
      ],
      ['spurious leaves / survivors dropped', `${spuriousLeaves} / ${survivorsDropped}`, '0 / 0'],
      ['leaves of reconnect attempts given up', String(reconnectLeaves), '(a retry follows)'],
      [
        'reconnects refused with overloaded (retried after the hint)',
        String(figures.overloadedRefusals),
        '',
      ],
      nodeCpuPerConnectRow(perConnect),
      ...cpuRows(context, 'after-kill'),
      ...(webhooks?.rows ?? []),
    ];
    return {
      figures,
      rows,
      chart: [
        { label: 'fan-out same node p99', histogram: 'fanOutSame', percentile: 'p99' },
        { label: 'fan-out cross node p99', histogram: 'fanOutCross', percentile: 'p99' },
        { label: 'time to presence_state p99', histogram: 'timeToState', percentile: 'p99' },
      ],
      markers: [{ t: killT, label: `SIGKILL node${killed}` }],
    };
  },
};
