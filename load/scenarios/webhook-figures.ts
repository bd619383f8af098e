/**
 * With --webhooks: how the nodes' online/offline events reached the receiver process during and
 * after a storm of connections. Waits until the receiver has a `user.online` for every expected
 * user and the nodes' queues are empty (or a deadline), then reports: events expected, received
 * and repeated; events per second during and after the storm; the time from the storm's end
 * until the last `user.online`; the delay from each event's `at` to its arrival; each node's
 * `presence_webhook_*` metrics; the receiver's CPU.
 */
import { DEFAULT_OWNER_WARM_UP_MS } from '../../src/user-online/user-online-feed.js';
import type { WebhookMetrics } from '../cluster/cluster.js';
import type { WebhookReceiver } from '../webhooks/webhook-receiver.js';
import type { WebhookTallySnapshot } from '../webhooks/webhook-tally.js';
import { enterPhase, sleep } from './common.js';
import type { ScenarioContext } from './scenario.js';

/** The longest wait for the last events after the scenario's own phases. */
const DRAIN_DEADLINE_S = 60;
const RECEIVER = 'webhook-receiver';
const NAMED_AT_MOST = 20;

export interface Storm {
  /**
   * When the storm started and ended, ms since the epoch: connect, the ramp; failover, from the
   * kill until every connection was back.
   */
  readonly startMs: number;
  readonly endMs: number;
  /** Distinct users that connected: one `user.online` each. */
  readonly expectedOnline: number;
  /** Those users, to name the ones without a `user.online`. */
  readonly expectedUsers?: readonly string[];
  /** `user.offline` events expected (connect: 0, nobody leaves); undefined: not known. */
  readonly expectedOffline?: number;
}

export interface WebhookFigures {
  readonly expected: { readonly online: number; readonly offline: number | null };
  readonly received: {
    readonly online: number;
    readonly offline: number;
    readonly usersOnline: number;
    readonly duplicates: number;
    readonly malformed: number;
  };
  readonly onlineTwiceInARow: number;
  readonly seqNotIncreasing: number;
  readonly eventsPerSecond: { readonly duringStorm: number; readonly afterStorm: number | null };
  /** Last `user.online` arrival − storm end (negative: every one came before the end). */
  readonly lastOnlineAfterStormEndMs: number | null;
  readonly deliveryDelayMs: WebhookTallySnapshot['delayMs'];
  /** Seconds of waiting after the scenario's phases until everything was in (or the deadline). */
  readonly drainSeconds: number;
  readonly drained: boolean;
  readonly nodes: (NodeWebhookFigures | null)[];
  readonly signatures: { readonly checked: number; readonly bad: number };
  readonly receiverCpu: {
    /** Cores during each phase. */
    readonly cores: Record<string, number>;
    /** The receiver's CPU over the whole run divided by the requests it got, in µs. */
    readonly microsecondsPerRequest: number | null;
  };
  /**
   * The first users without a `user.online` (with the node of each of their connections), and
   * those told online twice with each event's `at` minus each node's start plus the owner
   * warm-up (when a node becomes an owner candidate, src/user-online/user-online-feed.ts):
   * values near 0 point at the nodes disagreeing on the owner around that instant.
   */
  readonly missing: readonly { readonly user: string; readonly nodes: readonly number[] }[];
  readonly onlineTwice: readonly {
    readonly user: string;
    readonly at: readonly number[];
    readonly atAfterWarmUpMs: readonly (readonly (number | null)[])[];
  }[];
  /** Each node's start (its `listening` line) + the owner warm-up, ms since the epoch. */
  readonly ownerWarmUpEndsAt: readonly (number | null)[];
  /** New events per second since the storm started (index = second; earlier ones left out). */
  readonly perSecond: { readonly online: number[]; readonly offline: number[] };
}

export interface NodeWebhookFigures extends WebhookMetrics {
  readonly node: string;
  /** The largest presence_webhook_queue_depth of the once-a-second scrapes. */
  readonly queueDepthMax: number | null;
}

/** Waits until every expected event is in and queues are empty, or the deadline. */
async function drain(
  context: ScenarioContext,
  receiver: WebhookReceiver,
  storm: Storm,
): Promise<{ seconds: number; drained: boolean }> {
  await enterPhase(context, 'webhooks-drain', DRAIN_DEADLINE_S);
  const started = performance.now();
  const deadline = started + DRAIN_DEADLINE_S * 1000;
  for (;;) {
    const stats = await receiver.stats(true);
    const queues = await Promise.all(
      context.cluster.nodes.map(async (_, i) => (await context.cluster.metrics(i))?.webhook),
    );
    const queued = queues.reduce((n, w) => n + (w?.queueDepth ?? 0), 0);
    const done = stats.usersOnline >= storm.expectedOnline && queued === 0;
    if (done || performance.now() >= deadline) {
      return { seconds: round1((performance.now() - started) / 1000), drained: done };
    }
    await sleep(250);
  }
}

export async function webhookFigures(
  context: ScenarioContext,
  receiver: WebhookReceiver,
  storm: Storm,
): Promise<{ figures: WebhookFigures; rows: string[][] }> {
  const { seconds: drainSeconds, drained } = await drain(context, receiver, storm);
  const stats = await receiver.stats();
  const { cluster, recorder } = context;
  const finalMetrics = await Promise.all(cluster.nodes.map((_, i) => cluster.metrics(i)));

  const stormSeconds = Math.max((storm.endMs - storm.startMs) / 1000, 1e-3);
  const arrivals = [...stats.onlineArrivals, ...stats.offlineArrivals];
  const during = arrivals.filter((t) => t >= storm.startMs && t <= storm.endMs).length;
  const after = arrivals.filter((t) => t > storm.endMs);
  const lastAfter = after.length === 0 ? undefined : Math.max(...after);
  const afterSeconds = lastAfter === undefined ? 0 : (lastAfter - storm.endMs) / 1000;
  const lastOnline =
    stats.onlineArrivals.length === 0 ? undefined : Math.max(...stats.onlineArrivals);

  const nodes = finalMetrics.map((m, i): NodeWebhookFigures | null => {
    if (!m?.webhook) return null;
    let queueDepthMax: number | null = null;
    for (const point of recorder.series) {
      const depth = point.nodes[i]?.webhook?.queueDepth;
      if (depth !== undefined && Number.isFinite(depth)) {
        queueDepthMax = Math.max(queueDepthMax ?? 0, depth);
      }
    }
    return { node: `node${i}`, ...m.webhook, queueDepthMax };
  });

  const cores: Record<string, number> = {};
  let receiverCpuSeconds = 0;
  for (const [phase, totals] of recorder.phases) {
    cores[phase] = recorder.cores(phase).processes[RECEIVER] ?? 0;
    receiverCpuSeconds += totals.cpuSeconds[RECEIVER] ?? 0;
  }

  const warmUpEnds = cluster.nodes.map((n) => {
    const at = n.listeningAt();
    return at === undefined ? null : at + DEFAULT_OWNER_WARM_UP_MS;
  });
  const received = new Set(stats.onlineUsers);
  const missing = (storm.expectedUsers ?? [])
    .filter((user) => !received.has(user))
    .slice(0, NAMED_AT_MOST)
    .map((user) => ({
      user,
      nodes: (context.population.devicesOf.get(user) ?? []).map(
        (id) => context.population.connections[id]!.node,
      ),
    }));
  const onlineTwice = stats.onlineTwice.map(({ user, at }) => ({
    user,
    at,
    atAfterWarmUpMs: at.map((t) => warmUpEnds.map((end) => (end === null ? null : t - end))),
  }));

  const figures: WebhookFigures = {
    expected: { online: storm.expectedOnline, offline: storm.expectedOffline ?? null },
    received: {
      online: stats.online,
      offline: stats.offline,
      usersOnline: stats.usersOnline,
      duplicates: stats.duplicates,
      malformed: stats.malformed,
    },
    onlineTwiceInARow: stats.onlineTwiceInARow,
    seqNotIncreasing: stats.seqNotIncreasing,
    eventsPerSecond: {
      duringStorm: Math.round(during / stormSeconds),
      afterStorm: afterSeconds > 0 ? Math.round(after.length / afterSeconds) : null,
    },
    lastOnlineAfterStormEndMs: lastOnline === undefined ? null : lastOnline - storm.endMs,
    deliveryDelayMs: stats.delayMs,
    drainSeconds,
    drained,
    nodes,
    signatures: { checked: stats.signaturesChecked, bad: stats.badSignatures },
    receiverCpu: {
      cores,
      microsecondsPerRequest:
        stats.requests === 0 ? null : Math.round((receiverCpuSeconds / stats.requests) * 1e6),
    },
    missing,
    onlineTwice,
    ownerWarmUpEndsAt: warmUpEnds,
    perSecond: {
      online: perSecond(stats.onlineArrivals, storm.startMs),
      offline: perSecond(stats.offlineArrivals, storm.startMs),
    },
  };
  return { figures, rows: webhookRows(figures) };
}

/** New events per second from startMs on (earlier ones are left out). */
function perSecond(arrivals: readonly number[], startMs: number): number[] {
  const out: number[] = [];
  for (const t of arrivals) {
    if (t < startMs) continue;
    const second = Math.floor((t - startMs) / 1000);
    while (out.length <= second) out.push(0);
    out[second]! += 1;
  }
  return out;
}

function webhookRows(f: WebhookFigures): string[][] {
  const show = (v: number | null) => (v === null ? '-' : String(v));
  const d = f.deliveryDelayMs;
  const phases = Object.entries(f.receiverCpu.cores)
    .filter(([phase]) => phase !== 'setup')
    .map(([phase, cores]) => `${phase} ${cores}`)
    .join(', ');
  return [
    [
      'webhook user.online: users expected / users received (events) / duplicate ids',
      `${f.expected.online} / ${f.received.usersOnline} (${f.received.online}) / ${f.received.duplicates}`,
      `${f.expected.online} / ${f.expected.online} / 0`,
    ],
    [
      'webhook user.offline received',
      String(f.received.offline),
      f.expected.offline === null ? '' : String(f.expected.offline),
    ],
    [
      'user.online twice in a row / seq not increasing / malformed',
      `${f.onlineTwiceInARow} / ${f.seqNotIncreasing} / ${f.received.malformed}`,
      '0 / 0 / 0',
    ],
    ...(f.missing.length === 0
      ? []
      : [
          [
            'users without user.online (node of each connection)',
            f.missing
              .slice(0, 5)
              .map((m) => `${m.user} (${m.nodes.join(',')})`)
              .join(', '),
            '',
          ],
        ]),
    ...f.onlineTwice
      .slice(0, 5)
      .map((t) => [
        `${t.user} told online twice: each at − each node's start + owner warm-up`,
        t.atAfterWarmUpMs.map((perNode) => perNode.map(show).join(' / ')).join(' · ') + ' ms',
        '',
      ]),
    [
      'webhook events received per second: during the storm / after it',
      `${f.eventsPerSecond.duringStorm} /s / ${show(f.eventsPerSecond.afterStorm)} /s`,
      '',
    ],
    [
      'storm end → last user.online arrived',
      `${show(f.lastOnlineAfterStormEndMs)} ms${f.drained ? '' : ` (NOT all in after ${f.drainSeconds} s more)`}`,
      '',
    ],
    [
      'webhook delivery delay (arrival − at) p50 / p99 / max',
      `${show(d.p50)} / ${show(d.p99)} / ${show(d.max)} ms`,
      '',
    ],
    ...f.nodes.map((n, i) => [
      `node${i} webhooks delivered / failed / dropped / retried, queue depth max`,
      n === null
        ? '- (no metrics)'
        : `${n.delivered} / ${n.failed} / ${n.dropped} / ${n.retried}, ${show(n.queueDepthMax)}`,
      '- / 0 / 0 / -',
    ]),
    [
      'signatures checked (1 request in 100) / bad',
      `${f.signatures.checked} / ${f.signatures.bad}`,
      '- / 0',
    ],
    [
      'webhook receiver CPU (cores per phase; per request)',
      `${phases}; ${show(f.receiverCpu.microsecondsPerRequest)} µs`,
      '',
    ],
  ];
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
