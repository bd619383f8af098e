/**
 * `delivery`: M connections up; then for --duration seconds, --rate messages/s through
 * `POST /admin/deliver` (keep-alive HTTP from the driver, each call to the next node in turn) to
 * users picked at random, while --reconnect-rate connections/s disconnect and reconnect to the
 * OTHER node after 0..--reconnect-jitter-ms, so the sending node's presence is often stale.
 * Workers record every `presence_message` arrival (message, connection, time) and ack it.
 *
 * Accounting per message, after every call has answered:
 * - acked (`delivered: true`), handed to the fallback (`delivered: false`), HTTP errors by kind;
 * - LOST: reported delivered but no worker recorded an arrival at a device of that user, or the
 *   call failed / never answered. Must be 0;
 * - duplicates: arrivals of a message at a connection that already had it (retries), not losses;
 * - send → result and send → first arrival latency;
 * - acked / fallback by the user's state around the call: every device up from 1 s before the
 *   send until the result, a device moving meanwhile, or every device away at the send;
 * - each node's `presence_deliveries_total` and `presence_delivery_retries_total` at the end.
 */

import type { WorkerFinal } from '../clients/protocol.js';
import { ADMIN_HEADERS } from '../cluster/cluster.js';
import { Histogram } from '../histogram.js';
import { cpuRows, enterPhase, maxNodeFigure, percentiles, rampUp, sleep } from './common.js';
import { DeliverySender, type SentMessage } from './delivery-sender.js';
import type { Scenario, ScenarioContext } from './scenario.js';

/** A move this long before the send still counts as "around the call" (presence catching up). */
const MOVE_MARGIN_MS = 1_000;

type UserState = 'online' | 'moving' | 'away';
interface Tally {
  sent: number;
  acked: number;
  fallback: number;
  errors: number;
  /** Acked after half the timeout: the presence-routed attempt got no ack, the retry did. */
  ackedAfterHalfTimeout: number;
  readonly latency: Histogram;
}

function emptyTally(): Tally {
  return {
    sent: 0,
    acked: 0,
    fallback: 0,
    errors: 0,
    ackedAfterHalfTimeout: 0,
    latency: new Histogram(),
  };
}

/** Intervals [from, to] during which a connection was not connected (to = Infinity: never back). */
function downIntervals(finals: WorkerFinal[]): Map<number, [number, number][]> {
  const out = new Map<number, [number, number][]>();
  const add = (id: number, from: number, to: number) => {
    let list = out.get(id);
    if (!list) {
      list = [];
      out.set(id, list);
    }
    list.push([from, to < 0 ? Number.POSITIVE_INFINITY : to]);
  };
  for (const f of finals) {
    for (let k = 0; k < f.moves.length; k += 3) add(f.moves[k]!, f.moves[k + 1]!, f.moves[k + 2]!);
    for (const [id, droppedAt, backAt] of f.reconnects) add(id, droppedAt, backAt);
  }
  // A connection that dropped and never came back has no reconnects entry.
  for (const f of finals) {
    const back = new Set(f.reconnects.map(([id]) => id));
    for (const id of f.droppedIds) if (!back.has(id)) add(id, 0, -1);
  }
  return out;
}

async function scrapeDeliveryMetrics(context: ScenarioContext) {
  const { cluster } = context;
  return Promise.all(
    cluster.urls.map(async (url, i) => {
      if (!cluster.isAlive(i)) return null;
      try {
        const text = await (
          await fetch(`${url}/metrics`, {
            headers: ADMIN_HEADERS,
            signal: AbortSignal.timeout(5_000),
          })
        ).text();
        const read = (prefix: string) => {
          const out: Record<string, number> = {};
          for (const line of text.split('\n')) {
            const m = new RegExp(`^${prefix}\\{[a-z]+="([a-z_]+)"\\} (\\S+)$`).exec(line);
            if (m) out[m[1]!] = Number(m[2]);
          }
          return out;
        };
        return {
          node: `node${i}`,
          deliveries: read('presence_deliveries_total'),
          retries: read('presence_delivery_retries_total'),
        };
      } catch {
        return null;
      }
    }),
  );
}

export const delivery: Scenario = {
  name: 'delivery',
  summary: 'deliver() over HTTP at R msg/s under reconnect churn: acked, fallback, lost (=0)',
  // Presence fan-out is not what is measured here: a lighter graph than the default.
  defaults: {
    connections: 4_000,
    degree: 20,
    rate: 500,
    duration: 60,
    reconnectRate: 50,
    reconnectJitterMs: 1_000,
    deliverTimeoutMs: 5_000,
    httpConnections: 64,
  },
  poolOptions: (options) => ({
    countReceipts: false,
    reconnect: { enabled: true, jitterMs: options.reconnectJitterMs },
  }),
  async run(context) {
    const { options, recorder, pool, population, cluster } = context;
    await rampUp(context);
    await enterPhase(context, 'settle', 2);
    await sleep(2_000);

    const sender = new DeliverySender({
      urls: cluster.urls,
      users: population.users,
      ratePerSec: options.rate,
      timeoutMs: options.deliverTimeoutMs,
      connections: options.httpConnections,
      seed: options.seed,
      onTick: (tick) => recorder.onTick(tick),
    });
    await enterPhase(context, 'deliver', options.duration);
    pool.broadcast({
      kind: 'moves',
      ratePerSec: options.reconnectRate / options.workers,
      awayMs: options.reconnectJitterMs,
    });
    sender.start();
    await sleep(options.duration * 1000);
    pool.broadcast({ kind: 'stopMoves' });
    await enterPhase(context, 'drain', Math.ceil(options.deliverTimeoutMs / 1000) + 1);
    await sender.stop();
    // Moves still away come back; late copies of retried messages arrive.
    await sleep(Math.max(1_000, options.reconnectJitterMs + 500));
    const finals = await pool.final();
    const serverMetrics = await scrapeDeliveryMetrics(context);
    await enterPhase(context, 'done');

    // ── receipts ──
    const messages = sender.messages;
    const firstArrival = new Float64Array(messages.length).fill(Number.POSITIVE_INFINITY);
    const arrivedAtUser = new Uint8Array(messages.length);
    let arrivals = 0;
    let duplicates = 0;
    let connectionsWithDuplicates = 0;
    let misdelivered = 0;
    let unknownSeq = 0;
    for (const f of finals) {
      const r = f.messageReceipts;
      for (let k = 0; k < r.length; k += 4) {
        const seq = r[k]!;
        const id = r[k + 1]!;
        const at = r[k + 2]!;
        const n = r[k + 3]!;
        const m = messages[seq];
        if (!m) {
          unknownSeq += 1;
          continue;
        }
        arrivals += n;
        if (n > 1) {
          duplicates += n - 1;
          connectionsWithDuplicates += 1;
        }
        if (population.connections[id]?.user !== m.user) {
          misdelivered += 1;
          continue;
        }
        arrivedAtUser[seq] = 1;
        if (at < firstArrival[seq]!) firstArrival[seq] = at;
      }
    }

    // ── per message: outcome, loss, latency, the user's state around the call ──
    const down = downIntervals(finals);
    const everUp = new Set(finals.flatMap((f) => f.everConnectedIds));
    const stateOf = (m: SentMessage): UserState => {
      const devices = population.devicesOf.get(m.user) ?? [];
      let moving = false;
      let awayAtSend = 0;
      for (const id of devices) {
        if (!everUp.has(id)) {
          awayAtSend += 1;
          moving = true;
          continue;
        }
        for (const [from, to] of down.get(id) ?? []) {
          if (from <= m.resultAt && to >= m.sentAt - MOVE_MARGIN_MS) moving = true;
          if (from <= m.sentAt && to >= m.sentAt) awayAtSend += 1;
        }
      }
      if (devices.length > 0 && awayAtSend >= devices.length) return 'away';
      return moving ? 'moving' : 'online';
    };
    const byState: Record<UserState, Tally> = {
      online: emptyTally(),
      moving: emptyTally(),
      away: emptyTally(),
    };
    const resultLatency = new Histogram();
    const firstArrivalLatency = new Histogram();
    const httpErrors: Record<string, number> = {};
    let acked = 0;
    let fallback = 0;
    let errors = 0;
    let lostAckedNotReceived = 0;
    let fallbackButReceived = 0;
    const fallbackReasons: Record<string, number> = {};
    for (const m of messages) {
      const tally = byState[stateOf(m)];
      tally.sent += 1;
      if (arrivedAtUser[m.seq]) firstArrivalLatency.record(firstArrival[m.seq]! - m.sentAt);
      if (m.outcome === 'acked') {
        acked += 1;
        tally.acked += 1;
        resultLatency.record(m.resultAt - m.sentAt);
        tally.latency.record(m.resultAt - m.sentAt);
        if (m.resultAt - m.sentAt >= options.deliverTimeoutMs / 2) tally.ackedAfterHalfTimeout += 1;
        if (!arrivedAtUser[m.seq]) lostAckedNotReceived += 1;
      } else if (m.outcome === 'fallback') {
        fallback += 1;
        tally.fallback += 1;
        fallbackReasons[m.detail] = (fallbackReasons[m.detail] ?? 0) + 1;
        if (arrivedAtUser[m.seq]) fallbackButReceived += 1;
      } else {
        errors += 1;
        tally.errors += 1;
        const name = m.outcome === 'pending' ? 'never settled' : m.detail;
        httpErrors[name] = (httpErrors[name] ?? 0) + 1;
      }
    }
    const lost = lostAckedNotReceived + errors;
    // The slowest acked messages, to tell a late first arrival (the retry reached the device)
    // from a late ack (an arrival in time whose ack came slowly).
    const slowestAcked = messages
      .filter((m) => m.outcome === 'acked')
      .sort((a, b) => b.resultAt - b.sentAt - (a.resultAt - a.sentAt))
      .slice(0, 10)
      .map((m) => ({
        seq: m.seq,
        user: m.user,
        devices: population.devicesOf.get(m.user)?.length ?? 0,
        state: stateOf(m),
        sentToNode: m.node,
        sendToResultMs: Math.round(m.resultAt - m.sentAt),
        sendToFirstArrivalMs: arrivedAtUser[m.seq]
          ? Math.round(firstArrival[m.seq]! - m.sentAt)
          : null,
      }));

    // ── moves ──
    let moves = 0;
    let movesBack = 0;
    const moveAway = new Histogram();
    for (const f of finals) {
      for (let k = 0; k < f.moves.length; k += 3) {
        moves += 1;
        const back = f.moves[k + 2]!;
        if (back >= 0) {
          movesBack += 1;
          moveAway.record(back - f.moves[k + 1]!);
        }
      }
    }
    const c = recorder.totals('deliver').counters;
    const seconds = sender.sendingSeconds;
    const sum = (pick: (n: NonNullable<(typeof serverMetrics)[number]>) => number | undefined) =>
      serverMetrics.reduce((n, s) => n + (s ? (pick(s) ?? 0) : 0), 0);
    const server = {
      perNode: serverMetrics,
      deliveries: {
        delivered: sum((s) => s.deliveries['delivered']),
        fallback: sum((s) => s.deliveries['fallback']),
        failed: sum((s) => s.deliveries['failed']),
      },
      retries: {
        broadcast: sum((s) => s.retries['broadcast']),
        join: sum((s) => s.retries['join']),
      },
    };
    const figures = {
      gotPresenceState: everUp.size,
      users: population.users.length,
      messagesPerSecondAsked: options.rate,
      sendingSeconds: Math.round(seconds * 10) / 10,
      sent: messages.length,
      messagesPerSecond: Math.round(messages.length / Math.max(seconds, 1e-9)),
      ackedPerSecond: Math.round(acked / Math.max(seconds, 1e-9)),
      acked,
      fallback,
      fallbackReasons,
      httpErrors,
      httpErrorCount: errors,
      lost,
      lostDetail: { ackedButNotReceived: lostAckedNotReceived, httpFailedOrNoAnswer: errors },
      ackedPlusFallbackEqualsSent: acked + fallback === messages.length,
      arrivals,
      duplicates,
      connectionsWithDuplicates,
      misdelivered,
      unknownMessageArrivals: unknownSeq,
      fallbackButReceived,
      byUserState: Object.fromEntries(
        Object.entries(byState).map(([state, { latency, ...t }]) => [
          state,
          { ...t, sendToResultAckedMs: latency.summary() },
        ]),
      ),
      latencyMs: {
        sendToResultAcked: resultLatency.summary(),
        sendToFirstArrival: firstArrivalLatency.summary(),
        sendToArrivalPerConnection: recorder.histogram('deliver', 'deliverReceipt').summary(),
      },
      slowestAcked,
      mostCallsInFlight: sender.mostInFlight,
      httpConnectionsPerNode: options.httpConnections,
      moves: {
        started: moves,
        back: movesBack,
        perSecondAsked: options.reconnectRate,
        perSecond: Math.round(c.moves / options.duration),
        awayMs: moveAway.summary(),
      },
      droppedConnections: finals.reduce((n, f) => n + f.droppedIds.length, 0),
      server,
      nodeEventLoopLagP99MaxMs: maxNodeFigure(context, 'deliver', (m) => m.eventLoopLagP99Ms),
      deliverTimeoutMs: options.deliverTimeoutMs,
      cpu: recorder.cores('deliver'),
    };
    const tallyText = (t: Tally) =>
      `${t.sent} sent: ${t.acked} acked (p50 / p99 ${percentiles(t.latency, ['p50', 'p99'])}, ${t.ackedAfterHalfTimeout} after half the timeout), ${t.fallback} fallback${t.errors ? `, ${t.errors} HTTP errors` : ''}`;
    const errorText = Object.entries(httpErrors)
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
    const rows = [
      [
        'messages sent / per second',
        `${messages.length} in ${figures.sendingSeconds} s = ${figures.messagesPerSecond} /s (${figures.ackedPerSecond} acked/s)`,
        `${options.rate} /s`,
      ],
      [
        'sender: most calls in flight (keep-alive connections)',
        `${sender.mostInFlight} (${options.httpConnections} per node, more wait)`,
        '',
      ],
      [
        'acked / fallback / HTTP errors',
        `${acked} / ${fallback} / ${errors}${errorText ? ` (${errorText})` : ''}`,
        'acked + fallback = sent',
      ],
      [
        'LOST (acked not received + HTTP failed)',
        `${lost} (${lostAckedNotReceived} + ${errors})`,
        '0',
      ],
      [
        'duplicates (retry copies) / fallback but received',
        `${duplicates} on ${connectionsWithDuplicates} connections / ${fallbackButReceived}`,
        '(not losses)',
      ],
      [
        'send → result (acked) p50 / p99 / max',
        percentiles(resultLatency, ['p50', 'p99', 'max']),
        `(timeout ${options.deliverTimeoutMs} ms)`,
      ],
      [
        'send → first arrival p50 / p99 / max',
        percentiles(firstArrivalLatency, ['p50', 'p99', 'max']),
        '',
      ],
      ['users online throughout the call', tallyText(byState.online), '0 fallback'],
      ['users with a device moving around the call', tallyText(byState.moving), ''],
      ['users with every device away at the send', tallyText(byState.away), ''],
      [
        'moves to the other node (asked /s) / back / away p50 / p99',
        `${moves} (${options.reconnectRate} /s) / ${movesBack} / ${percentiles(moveAway, ['p50', 'p99'])}`,
        '',
      ],
      [
        'server: delivered / fallback / failed',
        `${server.deliveries.delivered} / ${server.deliveries.fallback} / ${server.deliveries.failed}`,
        '(failed = no hook on the CLI node)',
      ],
      [
        'server retries: broadcast / join',
        `${server.retries.broadcast} / ${server.retries.join}`,
        '',
      ],
      [
        'misdelivered / dropped connections',
        `${misdelivered} / ${figures.droppedConnections}`,
        '0 / 0',
      ],
      ...cpuRows(context, 'deliver'),
    ];
    return {
      figures,
      rows,
      chart: [
        { label: 'send → result p50', histogram: 'deliverResult', percentile: 'p50' },
        { label: 'send → result p99', histogram: 'deliverResult', percentile: 'p99' },
        { label: 'send → arrival p50', histogram: 'deliverReceipt', percentile: 'p50' },
        { label: 'send → arrival p99', histogram: 'deliverReceipt', percentile: 'p99' },
      ],
    };
  },
};
