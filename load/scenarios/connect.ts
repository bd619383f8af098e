/**
 * `connect`: ramp to M connections at --ramp-rate (at most --concurrency being opened at once),
 * hold --duration seconds. Connections per second, time from io() to the first presence_state,
 * memory per connection on each node (RSS from /proc, V8 heap from /metrics; the heap includes
 * the replica's copy of the other nodes' entries). With --webhooks, also how the storm's
 * `user.online` events reached the receiver (load/scenarios/webhook-figures.ts).
 */
import { sampleProcess } from '../cluster/proc-stats.js';
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

async function memory(context: ScenarioContext) {
  const { cluster } = context;
  return Promise.all(
    cluster.nodePids.map(async (pid, i) => ({
      rss: sampleProcess(pid)?.rssBytes ?? Number.NaN,
      heap: (await cluster.metrics(i))?.heapUsedBytes ?? Number.NaN,
      connections: (await cluster.metrics(i))?.connections ?? Number.NaN,
    })),
  );
}

export const connect: Scenario = {
  name: 'connect',
  summary: 'ramp to M connections: connections/s, time to presence_state, memory per connection',
  defaults: { duration: 5 },
  poolOptions: () => ({ countReceipts: false, reconnect: { enabled: false, jitterMs: 0 } }),
  async run(context) {
    const { options, recorder, pool } = context;
    const before = await memory(context);
    const rampSeconds = await rampUp(context);
    const stormEndMs = Date.now();
    await enterPhase(context, 'hold', options.duration);
    await sleep(options.duration * 1000);
    const after = await memory(context);
    const finals = await pool.final();
    const users = new Set(
      finals.flatMap((f) =>
        f.everConnectedIds.map((id) => context.population.connections[id]!.user),
      ),
    );
    const webhooks =
      context.webhooks &&
      (await webhookFigures(context, context.webhooks, {
        startMs: stormEndMs - rampSeconds * 1000,
        endMs: stormEndMs,
        expectedOnline: users.size,
        expectedUsers: [...users],
        // Nobody leaves during connect.
        expectedOffline: 0,
      }));

    const ramp = recorder.totals('ramp').counters;
    const timeToState = recorder.histogram('ramp', 'timeToState');
    const everConnected = finals.reduce((n, f) => n + f.everConnectedIds.length, 0);
    const connectedNow = finals.reduce((n, f) => n + f.connectedIds.length, 0);
    const perNode = after.map((a, i) => {
      const b = before[i]!;
      const n = a.connections;
      return {
        node: i,
        connections: n,
        rssBytesPerConnection: Math.round((a.rss - b.rss) / n),
        heapBytesPerConnection: Math.round((a.heap - b.heap) / n),
        rssMiB: Math.round(a.rss / 2 ** 20),
      };
    });
    const perConnect = nodeCpuPerConnect(recorder, 'ramp');
    const figures = {
      connections: options.connections,
      connected: connectedNow,
      gotPresenceState: everConnected,
      rampSeconds: Math.round(rampSeconds * 100) / 100,
      connectionsPerSecond: Math.round(ramp.presenceStates / rampSeconds),
      connectTimeouts: ramp.connectTimeouts,
      connectErrors: ramp.connectErrors,
      connectRefusals: ramp.connectRefusals,
      timeToPresenceStateMs: timeToState.summary(),
      /** Metas per `presence_state` received in the ramp (the state each connect built). */
      presenceStateMetasMean:
        ramp.presenceStates === 0
          ? null
          : Math.round((ramp.stateMetas / ramp.presenceStates) * 10) / 10,
      memoryPerNode: perNode,
      cpu: recorder.cores('ramp'),
      ...perConnect,
      ...(webhooks ? { webhooks: webhooks.figures } : {}),
    };
    const rows = [
      [
        'connections with presence_state',
        `${everConnected} / ${options.connections}`,
        `${options.connections}`,
      ],
      [
        'connections per second (ramp)',
        `${figures.connectionsPerSecond} /s (asked ${options.rampRate} /s, ${options.concurrency} at once)`,
        '',
      ],
      [
        'connect timeouts / errors / overloaded refusals (retried)',
        `${ramp.connectTimeouts} / ${ramp.connectErrors} / ${ramp.connectRefusals}`,
        '0 / 0 / -',
      ],
      ['metas per presence_state (mean)', String(figures.presenceStateMetasMean ?? '-'), ''],
      [
        'time to presence_state p50 / p99 / max',
        percentiles(timeToState, ['p50', 'p99', 'max']),
        '',
      ],
      ...perNode.map((m) => [
        `node${m.node} memory per connection (RSS / heap)`,
        `${m.rssBytesPerConnection} / ${m.heapBytesPerConnection} bytes (${m.connections} conns, RSS ${m.rssMiB} MiB)`,
        '',
      ]),
      nodeCpuPerConnectRow(perConnect),
      ...cpuRows(context, 'ramp'),
      ...(webhooks?.rows ?? []),
    ];
    return {
      figures,
      rows,
      chart: [
        { label: 'time to presence_state p50', histogram: 'timeToState', percentile: 'p50' },
        { label: 'time to presence_state p99', histogram: 'timeToState', percentile: 'p99' },
        { label: 'client event-loop lag p99', histogram: 'workerLoopLag', percentile: 'p99' },
      ],
    };
  },
};
