/**
 * `failover`: M connections up and R status updates per second; then SIGKILL the last node. The
 * clients behave as the SDK's: one device and one lineage each for life, so a client that
 * reconnects elsewhere within the crash grace (the down period, then --crash-grace-ms) takes its
 * entry over silently (PROTOCOL.md, "Takeover").
 * - back online: its client reconnects to another node (after 0..--reconnect-jitter-ms) and
 *   gets a presence_state;
 * - silent takeover: friends (every connection keeps its view, as a Phoenix client does) see no
 *   user go offline whose killed devices all came back within the grace
 *   (`seenOfflineByFriends`, 0 expected), and steady observers see no leave or join of those
 *   devices (`takenOver`), with --webhooks no `user.offline` (`webhooks.offline`);
 * - offline everywhere: a killed connection NOT back within the grace leaves for every steady
 *   observer on the surviving nodes when the grace ends, and joins again when it is back;
 * - nothing else disturbed: no leave of any presence on the surviving nodes, no dropped
 *   connection there, and the survivors' event-loop lag.
 * The run lasts until every connection is back and the grace is over (at most --duration s).
 */

import { TRACKER_TIMING_OPTIONS } from '../../src/options/tracker-timing-options.js';
import { nowMs, type SeenRecord, type WorkerFinal } from '../clients/protocol.js';
import { Histogram } from '../histogram.js';
import { watchersOf } from '../social-graph/population.js';
import {
  cpuRows,
  enterPhase,
  nodeCpuPerConnect,
  nodeCpuPerConnectRow,
  nodeLag,
  percentiles,
  rampUp,
  sleep,
} from './common.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { webhookFigures } from './webhook-figures.js';

const WARMUP_MS = 5_000;
/**
 * The grace ends on a node at its down (the down period after the kill, up to a tick and its
 * loop's lag later) plus the grace: a connection back within this much after the earliest end
 * may have been a takeover or not, and is judged neither way.
 */
const GRACE_END_SLACK_MS = 2_000;

function merged<K>(finals: WorkerFinal[], pick: (f: WorkerFinal) => [K, SeenRecord][]) {
  const out = new Map<K, SeenRecord>();
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
  summary:
    'SIGKILL one node under load: its devices take their entries over elsewhere, friends see nothing',
  // The survivor takes every connection: 16,000 stays under the 20,000 open files per process.
  // 100 updates/s is load this machine sustains (steady shows where it stops keeping up), so
  // the figures are about the failover, not about an overload that was there before it.
  defaults: { connections: 16_000, rate: 100, duration: 90, reconnectJitterMs: 3_000 },
  poolOptions: (options) => ({
    countReceipts: false,
    reconnect: { enabled: true, jitterMs: options.reconnectJitterMs },
    watchNode: options.nodes - 1,
    // Phoenix-like views: a friend seen offline is counted.
    flap: true,
  }),
  async run(context: ScenarioContext) {
    const { options, recorder, pool, population, cluster } = context;
    const killed = options.nodes - 1;
    await rampUp(context);
    await enterPhase(context, 'load', WARMUP_MS / 1000);
    pool.broadcast({ kind: 'updates', ratePerSec: options.rate / options.workers });
    await sleep(WARMUP_MS);
    await enterPhase(context, 'after-kill', options.duration);
    pool.broadcast({ kind: 'killed' });
    const killAt = nowMs();
    const killT = recorder.elapsed();
    cluster.kill(killed);
    // The held entries of the killed node leave at the end of the grace, counted from its down.
    const crashGraceMs =
      options.crashGraceMs ?? TRACKER_TIMING_OPTIONS.options.crashGraceMs.default;
    const graceEndsAt = killAt + options.downPeriodMs + crashGraceMs;
    // The storm: until every connection is back (and the down period is over), at most
    // --duration seconds; its CPU per reconnect is this phase's.
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
    // Then until the grace is over and 3 s more, within the same deadline: a held entry released
    // by mistake, or one not taken over, shows as a leave.
    const graceLeftMs = Math.min(graceEndsAt + 3_000 - nowMs(), deadline - performance.now());
    if (graceLeftMs > 0) {
      await enterPhase(context, 'grace', Math.ceil(graceLeftMs / 1000));
      await sleep(graceLeftMs);
    }
    pool.broadcast({ kind: 'stopUpdates' });
    await sleep(1_000);
    const finals = await pool.final();
    await enterPhase(context, 'done');
    const dropped = new Set(finals.flatMap((f) => f.droppedIds));
    const everUp = new Set(finals.flatMap((f) => f.everConnectedIds));
    const victims = population.connections.filter((c) => c.node === killed && everUp.has(c.id));
    const isObserver = (id: number) =>
      population.connections[id]!.node !== killed && everUp.has(id) && !dropped.has(id);
    const offline = merged(finals, (f) => f.offlineSeen);
    const online = merged(finals, (f) => f.onlineSeen);
    const offlineUsers = merged(finals, (f) => f.offlineUsers);
    const reconnectAt = new Map<number, number>();
    for (const f of finals) for (const [id, , at] of f.reconnects) reconnectAt.set(id, at);
    const backInGrace = (id: number) =>
      (reconnectAt.get(id) ?? Number.POSITIVE_INFINITY) <= graceEndsAt;
    // A user is back within the grace when every one of its killed connections is (`all`).
    const victimUsers = new Map<string, { all: boolean; any: boolean }>();
    for (const victim of victims) {
      const back = backInGrace(victim.id);
      const seen = victimUsers.get(victim.user) ?? { all: true, any: false };
      victimUsers.set(victim.user, { all: seen.all && back, any: seen.any || back });
    }
    let seenOfflineByFriends = 0;
    let seenOfflineNotBack = 0;
    for (const [user, back] of victimUsers) {
      const seen = offlineUsers.get(user)?.count ?? 0;
      if (back.all) seenOfflineByFriends += seen;
      else seenOfflineNotBack += seen;
    }
    // Users with every connection on the killed node and none back within the grace go offline.
    const onSurvivor = new Set(
      population.connections
        .filter((c) => c.node !== killed && everUp.has(c.id))
        .map((c) => c.user),
    );
    const expectedOffline = [...victimUsers].filter(
      ([user, back]) => !back.any && !onSurvivor.has(user),
    ).length;
    // With --webhooks: the storm is the recovery; only those users go offline.
    const webhooks =
      context.webhooks &&
      (await webhookFigures(context, context.webhooks, {
        startMs: killAt,
        endMs: recoveredAt,
        expectedOnline: new Set([...everUp].map((id) => population.connections[id]!.user)).size,
        expectedOffline,
      }));

    const offlineTimes = new Histogram();
    const onlineTimes = new Histogram();
    const reconnectTimes = new Histogram();
    let watchedVictims = 0;
    let offlineIncomplete = 0;
    let onlineIncomplete = 0;
    let notReconnected = 0;
    let observations = 0;
    const takenOver = { connections: 0, leavesSeen: 0, joinsSeen: 0 };
    let lateVictims = 0;
    let atGraceEnd = 0;
    for (const victim of victims) {
      const at = reconnectAt.get(victim.id);
      if (at === undefined) notReconnected += 1;
      else reconnectTimes.record(at - killAt);
      const want = watchersOf(population, victim.user).filter(
        (w) => w !== victim.id && isObserver(w),
      ).length;
      if (backInGrace(victim.id)) {
        // Taken over: observers must see neither its leave nor a join (an update at most).
        takenOver.connections += 1;
        takenOver.leavesSeen += offline.get(victim.id)?.count ?? 0;
        takenOver.joinsSeen += online.get(victim.id)?.count ?? 0;
        if (want > 0) {
          watchedVictims += 1;
          observations += want;
        }
        continue;
      }
      if ((at ?? Number.POSITIVE_INFINITY) <= graceEndsAt + GRACE_END_SLACK_MS) {
        atGraceEnd += 1;
        continue;
      }
      lateVictims += 1;
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
    const offlineMax = offlineTimes.summary().max;
    const perConnect = nodeCpuPerConnect(recorder, 'after-kill');
    const survivorLag = [...nodeLag(recorder, 'after-kill'), ...nodeLag(recorder, 'grace')].filter(
      (l) => l.node !== `node${killed}`,
    );
    const survivorLoopLagMaxMs = survivorLag.reduce<number | null>(
      (max, l) => (l.maxMs === null ? max : Math.max(max ?? 0, l.maxMs)),
      null,
    );
    const figures = {
      gotPresenceState: new Set(finals.flatMap((f) => f.everConnectedIds)).size,
      killedNode: killed,
      downPeriodMs: options.downPeriodMs,
      crashGraceMs,
      broadcastPeriodMs: options.broadcastPeriodMs,
      killedConnections: victims.length,
      watchedKilledConnections: watchedVictims,
      observations,
      /**
       * Friends' views (every connection's) where a user went offline whose killed connections
       * all came back within the grace: 0 with a silent takeover.
       */
      seenOfflineByFriends,
      /** The same for users with a killed connection not back within the grace. */
      seenOfflineByFriendsNotBackInGrace: seenOfflineNotBack,
      /** Killed connections back within the grace, and their leaves / joins steady observers saw. */
      takenOver,
      /** Killed connections not back within the grace: they leave when it ends. */
      notBackInGrace: lateVictims,
      /** Back just after the grace's earliest end (within GRACE_END_SLACK_MS): judged neither way. */
      backAtGraceEnd: atGraceEnd,
      offlineEverywhere: {
        incomplete: offlineIncomplete,
        msAfterKill: offlineTimes.summary(),
        withinGrace:
          offlineIncomplete === 0 &&
          (offlineMax === null ||
            offlineMax <=
              options.downPeriodMs + crashGraceMs + 2 * options.broadcastPeriodMs + 1000),
      },
      reconnected: {
        notReconnected,
        msAfterKill: reconnectTimes.summary(),
      },
      onlineAgain: { incomplete: onlineIncomplete, msAfterKill: onlineTimes.summary() },
      undisturbed: { spuriousLeaves, survivorsDropped },
      /** The largest event-loop lag of a surviving node after the kill (its /metrics, 1 s scrapes). */
      survivorLoopLagMaxMs,
      /** Reconnects refused with `overloaded` (each retried after the server's hint). */
      overloadedRefusals: recorder.totals('after-kill').counters.connectRefusals,
      cpu: recorder.cores('after-kill'),
      ...perConnect,
      ...(webhooks
        ? { webhooks: { ...webhooks.figures, offline: webhooks.figures.received.offline } }
        : {}),
    };
    const rows = [
      [
        `node${killed} killed: its connections`,
        `${victims.length} (${watchedVictims} watched by ${observations} observer links on the survivors)`,
        '',
      ],
      [
        'friends seen going offline: users back within the grace / not',
        `${seenOfflineByFriends} / ${seenOfflineNotBack}`,
        '0 / -',
      ],
      [
        'killed connections taken over (back within the grace): leaves / joins seen',
        `${takenOver.connections}: ${takenOver.leavesSeen} / ${takenOver.joinsSeen}`,
        '- : 0 / 0',
      ],
      [
        'not back within the grace: offline everywhere after kill p50 / p99 / max',
        `${lateVictims}${atGraceEnd ? ` (+${atGraceEnd} at its end)` : ''}: ${percentiles(offlineTimes, ['p50', 'p99', 'max'])}${offlineIncomplete ? ` (${offlineIncomplete} NOT seen offline by all)` : ''}`,
        `0: ≤ down ${options.downPeriodMs} + grace ${crashGraceMs} ms`,
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
      [
        'survivors’ event-loop lag max after the kill (to the grace’s end)',
        `${survivorLoopLagMaxMs ?? '-'} ms`,
        '< 500 ms',
      ],
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
