/**
 * `churn`: M connections up, then a share of them (--churn-fraction) comes and goes so that
 * --rate joins + leaves happen per second for --duration seconds, over the connected base.
 * Each churning connection stays up and away for a random time around
 * churn-fraction × M / rate seconds. Reports connect timeouts and errors (a join that never got
 * its presence_state), the trend of time to presence_state, staleness and node event-loop lag
 * (a backlog grows), and staleness of presence: from a connect (or a planned disconnect) to an
 * observing friend seeing the join (or leave), on the other node and on the same node.
 */
import { seededRandom } from '../social-graph/seeded-random.js';
import {
  cpuRows,
  enterPhase,
  maxNodeFigure,
  nodeCpuPerConnect,
  nodeCpuPerConnectRow,
  percentiles,
  rampUp,
  sleep,
} from './common.js';
import type { Scenario } from './scenario.js';
import { describeTrend, trend } from './trend.js';

export const churn: Scenario = {
  name: 'churn',
  summary: 'connect/disconnect storms over a connected base: timeouts, backlog, staleness',
  defaults: { duration: 60, rate: 1_000 },
  poolOptions: () => ({ countReceipts: false, reconnect: { enabled: false, jitterMs: 0 } }),
  async run(context) {
    const { options, recorder, pool, population } = context;
    await rampUp(context);
    await enterPhase(context, 'settle', 2);
    await sleep(2_000);
    const random = seededRandom(options.seed + 17);
    const churners = new Set(
      population.connections.filter(() => random() < options.churnFraction).map((c) => c.id),
    );
    // Each churner does one join and one leave per (lifetime up + lifetime away).
    const meanLifetimeMs = (churners.size / Math.max(1, options.rate)) * 1000;
    await enterPhase(context, 'churn', options.duration);
    pool.sendEach((ids) => ({
      kind: 'churn',
      ids: ids.filter((id) => churners.has(id)),
      meanLifetimeMs,
    }));
    await sleep(options.duration * 1000);
    pool.broadcast({ kind: 'stopChurn' });
    await enterPhase(context, 'settle-after', 3);
    await sleep(3_000);
    const finals = await pool.final();
    await enterPhase(context, 'done');

    const c = recorder.totals('churn').counters;
    const after = recorder.totals('settle-after').counters;
    const seconds = options.duration;
    const joins = c.presenceStates;
    const timeToState = recorder.histogram('churn', 'timeToState');
    const joinCross = recorder.histogram('churn', 'joinStalenessCross');
    const leaveCross = recorder.histogram('churn', 'leaveStalenessCross');
    const joinSame = recorder.histogram('churn', 'joinStalenessSame');
    const leaveSame = recorder.histogram('churn', 'leaveStalenessSame');
    const { series } = recorder;
    const trends = {
      timeToStateP99Ms: trend(series, 'churn', (p) => p.latency.timeToState?.p99, 50),
      leaveStalenessCrossP99Ms: trend(
        series,
        'churn',
        (p) => p.latency.leaveStalenessCross?.p99,
        50,
      ),
      joinStalenessCrossP99Ms: trend(series, 'churn', (p) => p.latency.joinStalenessCross?.p99, 50),
      nodeEventLoopLagP99Ms: trend(
        series,
        'churn',
        (p) => Math.max(...p.nodes.map((m) => m?.eventLoopLagP99Ms ?? 0)),
        20,
      ),
    };
    const pending = c.connectAttempts - c.presenceStates - c.connectTimeouts - c.connectErrors;
    const perConnect = nodeCpuPerConnect(recorder, 'churn');
    const figures = {
      gotPresenceState: new Set(finals.flatMap((f) => f.everConnectedIds)).size,
      churningConnections: churners.size,
      meanLifetimeMs: Math.round(meanLifetimeMs),
      eventsPerSecondAsked: options.rate,
      joinsPerSecond: Math.round(joins / seconds),
      leavesPerSecond: Math.round(c.leaves / seconds),
      connectAttempts: c.connectAttempts,
      connectTimeouts: c.connectTimeouts + after.connectTimeouts,
      connectErrors: c.connectErrors + after.connectErrors,
      connectRefusals: c.connectRefusals + after.connectRefusals,
      droppedConnections: c.droppedConnections + after.droppedConnections,
      joinsWithoutPresenceStateAtEnd: Math.max(0, pending - after.presenceStates),
      timeToPresenceStateMs: timeToState.summary(),
      stalenessMs: {
        joinCrossNode: joinCross.summary(),
        leaveCrossNode: leaveCross.summary(),
        joinSameNode: joinSame.summary(),
        leaveSameNode: leaveSame.summary(),
      },
      trends,
      backlogGrowing: Object.values(trends).some((t) => t.growing),
      nodeEventLoopLagP99MaxMs: maxNodeFigure(context, 'churn', (m) => m.eventLoopLagP99Ms),
      connectedAtEnd: finals.reduce((n, f) => n + f.connectedIds.length, 0),
      cpu: recorder.cores('churn'),
      ...perConnect,
    };
    const rows = [
      [
        'joins + leaves per second',
        `${figures.joinsPerSecond} + ${figures.leavesPerSecond} /s (${churners.size} churning of ${options.connections})`,
        `${options.rate} /s`,
      ],
      [
        'connect timeouts / errors / dropped / overloaded refusals (retried)',
        `${figures.connectTimeouts} / ${figures.connectErrors} / ${figures.droppedConnections} / ${figures.connectRefusals}`,
        '0 / 0 / 0 / -',
      ],
      [
        'time to presence_state p50 / p99 / max',
        percentiles(timeToState, ['p50', 'p99', 'max']),
        '',
      ],
      [
        'staleness cross node: join p50 / p99',
        percentiles(joinCross, ['p50', 'p99']),
        '(from io() call)',
      ],
      [
        'staleness cross node: leave p50 / p99',
        percentiles(leaveCross, ['p50', 'p99']),
        '(from disconnect)',
      ],
      [
        'staleness same node: join / leave p99',
        `${joinSame.summary().p99 ?? '-'} / ${leaveSame.summary().p99 ?? '-'} ms`,
        '',
      ],
      ['trend time to presence_state p99', describeTrend(trends.timeToStateP99Ms, 'ms'), 'flat'],
      [
        'trend leave staleness cross p99',
        describeTrend(trends.leaveStalenessCrossP99Ms, 'ms'),
        'flat',
      ],
      ['trend node event-loop lag p99', describeTrend(trends.nodeEventLoopLagP99Ms, 'ms'), 'flat'],
      nodeCpuPerConnectRow(perConnect),
      ...cpuRows(context, 'churn'),
    ];
    return {
      figures,
      rows,
      chart: [
        { label: 'time to presence_state p99', histogram: 'timeToState', percentile: 'p99' },
        { label: 'join staleness cross p50', histogram: 'joinStalenessCross', percentile: 'p50' },
        { label: 'join staleness cross p99', histogram: 'joinStalenessCross', percentile: 'p99' },
        { label: 'leave staleness cross p50', histogram: 'leaveStalenessCross', percentile: 'p50' },
        { label: 'leave staleness cross p99', histogram: 'leaveStalenessCross', percentile: 'p99' },
      ],
    };
  },
};
