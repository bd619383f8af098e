/**
 * `flap`: M connections up; then for --duration seconds --rate connections/s drop (the websocket
 * closes without socket.io's DISCONNECT: the server sees a network loss) and reconnect after
 * 0..--reconnect-jitter-ms, to the same node or the other one, under the same device name. Every
 * connection keeps its view (as a Phoenix client does) and counts the friends it saw go offline:
 * a user whose last meta left. With the nodes' leave grace (default 5 s, longer than the time
 * away) that count must be 0; `--leave-grace-ms 0` shows what a drop cost before.
 */
import { cpuRows, enterPhase, percentiles, rampUp, sleep } from './common.js';
import type { Scenario } from './scenario.js';

/** After the flaps stop: longer than the default leave grace, so a grace that ran out shows. */
const SETTLE_AFTER_MS = 8_000;

export const flap: Scenario = {
  name: 'flap',
  summary: 'drops + reconnects of the same device within the leave grace: friends seen offline (0)',
  defaults: { connections: 10_000, duration: 30, rate: 100, reconnectJitterMs: 1_000 },
  poolOptions: () => ({
    countReceipts: false,
    reconnect: { enabled: false, jitterMs: 0 },
    flap: true,
  }),
  async run(context) {
    const { options, recorder, pool } = context;
    await rampUp(context);
    await enterPhase(context, 'settle', 2);
    await sleep(2_000);
    await enterPhase(context, 'flap', options.duration);
    pool.broadcast({
      kind: 'flaps',
      ratePerSec: options.rate / options.workers,
      awayMs: options.reconnectJitterMs,
    });
    await sleep(options.duration * 1000);
    pool.broadcast({ kind: 'stopFlaps' });
    await enterPhase(context, 'settle-after', SETTLE_AFTER_MS / 1000);
    await sleep(SETTLE_AFTER_MS);
    const finals = await pool.final();
    await enterPhase(context, 'done');

    const c = recorder.totals('flap').counters;
    const after = recorder.totals('settle-after').counters;
    const timeToState = recorder.histogram('flap', 'timeToState');
    const figures = {
      leaveGraceMs: options.leaveGraceMs ?? 'node default',
      flaps: c.flaps,
      flapsPerSecond: Math.round(c.flaps / options.duration),
      friendsSeenOffline: c.offlineTransitions + after.offlineTransitions,
      joinMetas: c.joinMetas + after.joinMetas,
      leaveMetas: c.leaveMetas + after.leaveMetas,
      diffs: c.diffs + after.diffs,
      reconnects: c.presenceStates,
      connectTimeouts: c.connectTimeouts + after.connectTimeouts,
      connectErrors: c.connectErrors + after.connectErrors,
      connectRefusals: c.connectRefusals + after.connectRefusals,
      timeToPresenceStateMs: timeToState.summary(),
      connectedAtEnd: finals.reduce((n, f) => n + f.connectedIds.length, 0),
      cpu: recorder.cores('flap'),
    };
    const rows = [
      [
        'flaps (drop + reconnect of the same device)',
        `${figures.flaps} (${figures.flapsPerSecond} /s, away 0..${options.reconnectJitterMs} ms)`,
        `${options.rate} /s`,
      ],
      [
        'friends seen going offline (a user’s last meta left a view)',
        String(figures.friendsSeenOffline),
        '0',
      ],
      [
        'metas joined / left at friends (device changes)',
        `${figures.joinMetas} / ${figures.leaveMetas}`,
        '',
      ],
      [
        'connect timeouts / errors / overloaded refusals (retried)',
        `${figures.connectTimeouts} / ${figures.connectErrors} / ${figures.connectRefusals}`,
        '0 / 0 / -',
      ],
      [
        'reconnect to presence_state p50 / p99 / max',
        percentiles(timeToState, ['p50', 'p99', 'max']),
        '',
      ],
      ['connected at the end', `${figures.connectedAtEnd} of ${options.connections}`, 'all'],
      ...cpuRows(context, 'flap'),
    ];
    return {
      figures,
      rows,
      chart: [
        { label: 'reconnect to presence_state p50', histogram: 'timeToState', percentile: 'p50' },
        { label: 'reconnect to presence_state p99', histogram: 'timeToState', percentile: 'p99' },
      ],
    };
  },
};
