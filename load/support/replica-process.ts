/**
 * One tracker replica in its own node process, over the Redis transport, for integration tests
 * and benchmarks. Driven by JSON lines on stdin, reports JSON lines on stdout:
 *
 *   node --import tsx load/support/replica-process.ts --name n1 --redis redis://127.0.0.1:PORT \
 *     --broadcast-period-ms 50 --down-period-ms 1000 --permdown-period-ms 5000 [--prefix p]
 *     [--diff-events all|remote|none]
 *
 * Commands (every command may carry an `id`; its reply carries the same `id`):
 *   {"cmd":"track","topic","key","conn","meta"}        → {ok, reason?}
 *   {"cmd":"trackMany","count","prefix","start?","batch?","meta?"}
 *       tracks `user:<prefix><i>` key `<prefix><i>` conn `c-<prefix><i>` for i in [start, start+count),
 *       yielding to the event loop every `batch` tracks (default 1000)   → {ok, tracked, firstAt, lastAt}
 *   {"cmd":"untrack","topic","key","conn"} / {"cmd":"untrackConnection","conn"} → {ok, joins, leaves}
 *   {"cmd":"update","topic","key","conn","meta"}       → {ok, reason?}
 *   {"cmd":"list","topic"}                             → {presences: [{key, meta, replica, vsn, counter}]}
 *   {"cmd":"summary"}   → {size, byReplica: {name: visible}, stored, replicas, health, self, stats, ...}
 *   {"cmd":"watch","size","timeoutMs?"}   → once the visible size is ≥ size: {ok, at} (`at` is the
 *       Date.now() of the diff event that reached it), or {ok:false} on timeout
 *   {"cmd":"churn","rate","durationMs","count","prefix"}
 *       untrack+track pairs over the `count` presences trackMany made with `prefix`, at `rate` pairs/s,
 *       with `t: Date.now()` in each new meta → {ok, pairs, elapsedMs, achievedRate}
 *   {"cmd":"staleness","reset?"}  → receive − meta.t over remote joins that carry `t`:
 *       {count, p50, p99, max, mean}
 *   {"cmd":"ping"}  → {now}
 *   {"cmd":"start"} → boots a process started with --wait-start → {ok, startedAt}
 *   {"cmd":"stop","announce?"}  → stops (announcing a leave unless announce is false), replies, exits 0
 *
 * Events: {"event":"ready"} once the link is up, {"event":"diff","at","joins","leaves","joinsBy",
 * "leavesBy"} (counts keyed by replica `name#vsn`), {"event":"replica","type","name","vsn"},
 * {"event":"link","up"}. SIGTERM/SIGINT or stdin closing: graceful stop (leave announced), exit 0.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Meta, Presence, PresenceChange } from '../../src/core/index.js';
import type { ReplicationTransport, TransportStats } from '../../src/ports/bus-channel.js';
import type { Logger } from '../../src/ports/logger.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { waitForLinkUp } from '../../src/transports/wait-for-link-up.js';
import { redisBusChannel } from './bus-channel.js';

const { values: args } = parseArgs({
  options: {
    name: { type: 'string' },
    redis: { type: 'string' },
    prefix: { type: 'string', default: 'graph-presence' },
    'broadcast-period-ms': { type: 'string', default: '1500' },
    'down-period-ms': { type: 'string', default: '30000' },
    'permdown-period-ms': { type: 'string', default: '1200000' },
    'diff-events': { type: 'string', default: 'all' },
    'link-timeout-ms': { type: 'string', default: '20000' },
    /** The node bus's cluster secret; none: frames unsigned. */
    'cluster-secret': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'wait-start': { type: 'boolean', default: false },
  },
});

if (!args.name || !args.redis) {
  process.stderr.write('replica-process: --name and --redis are required\n');
  process.exit(2);
}
const name = args.name;
const redisUrl = args.redis;
const diffEvents = args['diff-events'];

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function stderrLogger(verbose: boolean): Logger {
  const write = (level: string) => (obj: object, msg: string) => {
    let context = '';
    try {
      context = JSON.stringify(obj, (_k, v: unknown) =>
        v instanceof Error ? { message: v.message } : v,
      );
    } catch {}
    process.stderr.write(`[${name}] ${level} ${msg} ${context}\n`);
  };
  const discard = () => {};
  return {
    debug: discard,
    info: verbose ? write('info') : discard,
    warn: write('warn'),
    error: write('error'),
  };
}
const logger = stderrLogger(args.verbose ?? false);

/** Counts the bytes of the frames the replica sends and receives (payload, without envelope). */
class CountingTransport implements ReplicationTransport {
  bytesSent = 0;
  bytesReceived = 0;
  constructor(private readonly inner: ReplicationTransport) {}
  get selfId(): string {
    return this.inner.selfId;
  }
  broadcast(frame: Uint8Array): void {
    this.bytesSent += frame.byteLength;
    this.inner.broadcast(frame);
  }
  sendTo(replicaId: string, frame: Uint8Array): void {
    this.bytesSent += frame.byteLength;
    this.inner.sendTo(replicaId, frame);
  }
  onFrame(handler: (frame: Uint8Array, sender: string) => void): () => void {
    return this.inner.onFrame((frame, sender) => {
      this.bytesReceived += frame.byteLength;
      handler(frame, sender);
    });
  }
  onLinkChange(handler: (up: boolean) => void): () => void {
    return this.inner.onLinkChange(handler);
  }
  isLinkUp(): boolean {
    return this.inner.isLinkUp();
  }
  stats(): TransportStats {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

let booted = false;
let transport!: CountingTransport;
let replica!: TrackerReplica;
let startedAt = 0;
let selfKey = '';

// ── what this replica saw ─────────────────────────────────────────────────────────────────────

const totals = { diffEvents: 0, joins: 0, leaves: 0, remoteJoins: 0, remoteLeaves: 0 };
let staleness: number[] = [];

interface Watch {
  readonly size: number;
  readonly id: unknown;
  readonly timer: NodeJS.Timeout;
}
let watches: Watch[] = [];

function countBy(presences: readonly Presence[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of presences) {
    const key = p.replica.key;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function onDiff(change: PresenceChange): void {
  const at = Date.now();
  totals.diffEvents++;
  totals.joins += change.joins.length;
  totals.leaves += change.leaves.length;
  let remote = false;
  for (const p of change.joins) {
    if (p.replica.key === selfKey) continue;
    remote = true;
    totals.remoteJoins++;
    const t = p.meta['t'];
    if (typeof t === 'number') staleness.push(at - t);
  }
  for (const p of change.leaves) {
    if (p.replica.key === selfKey) continue;
    remote = true;
    totals.remoteLeaves++;
  }
  if (diffEvents === 'all' || (diffEvents === 'remote' && remote)) {
    emit({
      event: 'diff',
      at,
      joins: change.joins.length,
      leaves: change.leaves.length,
      joinsBy: countBy(change.joins),
      leavesBy: countBy(change.leaves),
    });
  }
  if (watches.length > 0) checkWatches(at);
}

function checkWatches(at: number): void {
  const size = replica.view.size;
  watches = watches.filter((watch) => {
    if (size < watch.size) return true;
    clearTimeout(watch.timer);
    emit({ id: watch.id, ok: true, at, size });
    return false;
  });
}

// ── commands ──────────────────────────────────────────────────────────────────────────────────

type Command = Record<string, unknown> & { cmd?: string; id?: unknown };

function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new Error(`${field} must be a string`);
  return value;
}

function num(value: unknown, field: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${field} must be a number`);
  }
  return value;
}

function benchMeta(i: number): Meta {
  return { status: 'online', device: 'web', online_at: 1_763_000_000_000 + i };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function trackMany(command: Command): Promise<Record<string, unknown>> {
  const count = num(command['count'], 'count');
  const prefix = typeof command['prefix'] === 'string' ? command['prefix'] : `${name}-`;
  const start = num(command['start'], 'start', 0);
  const batch = num(command['batch'], 'batch', 1000);
  const meta = command['meta'] as Meta | undefined;
  const firstAt = Date.now();
  let tracked = 0;
  for (let i = start; i < start + count; i++) {
    const id = `${prefix}${i}`;
    if (replica.track(`user:${id}`, id, `c-${id}`, meta ?? benchMeta(i)).ok) tracked++;
    if ((i - start + 1) % batch === 0) await yieldToLoop();
  }
  return { ok: true, tracked, firstAt, lastAt: Date.now() };
}

async function churn(command: Command): Promise<Record<string, unknown>> {
  const rate = num(command['rate'], 'rate');
  const durationMs = num(command['durationMs'], 'durationMs');
  const count = num(command['count'], 'count');
  const prefix = typeof command['prefix'] === 'string' ? command['prefix'] : `${name}-`;
  const start = Date.now();
  let pairs = 0;
  let next = 0;
  for (;;) {
    const now = Date.now();
    const elapsed = now - start;
    if (elapsed >= durationMs) break;
    const due = Math.min(
      Math.floor((rate * elapsed) / 1000),
      Math.ceil((rate * durationMs) / 1000),
    );
    // Bounded slices, so the heartbeat timer runs between them even when we fall behind.
    const target = Math.min(due, pairs + Math.max(1, Math.ceil(rate / 100)));
    while (pairs < target) {
      const i = next;
      next = (next + 1) % count;
      const id = `${prefix}${i}`;
      const topic = `user:${id}`;
      const conn = `c-${id}`;
      replica.untrack(topic, id, conn);
      replica.track(topic, id, conn, { ...benchMeta(i), t: Date.now() });
      pairs++;
    }
    if (pairs >= due) await sleep(2);
    else await yieldToLoop();
  }
  const elapsedMs = Date.now() - start;
  return { ok: true, pairs, elapsedMs, achievedRate: (pairs * 1000) / elapsedMs };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

function stalenessReport(command: Command): Record<string, unknown> {
  const sorted = Float64Array.from(staleness).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  if (command['reset'] === true) staleness = [];
  return {
    ok: true,
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

function summary(): Record<string, unknown> {
  const byReplica: Record<string, number> = {};
  const stored: Record<string, number> = {};
  const replicas = replica.view.replicas().map((ref) => {
    const up = replica.view.isUp(ref);
    const count = replica.view.entryCount(ref);
    stored[ref.name] = (stored[ref.name] ?? 0) + count;
    if (up) byReplica[ref.name] = (byReplica[ref.name] ?? 0) + count;
    return { name: ref.name, vsn: ref.vsn, up, entries: count };
  });
  return {
    ok: true,
    self: replica.ref,
    size: replica.view.size,
    byReplica,
    stored,
    replicas,
    health: replica.health
      .all()
      .map((r) => ({ name: r.ref.name, vsn: r.ref.vsn, status: r.status })),
    linkUp: transport.isLinkUp(),
    stats: { ...replica.stats },
    transport: {
      ...transport.stats(),
      bytesSent: transport.bytesSent,
      bytesReceived: transport.bytesReceived,
    },
    totals: { ...totals },
    startedAt,
    memory: process.memoryUsage().heapUsed,
  };
}

function changeCounts(change: PresenceChange): Record<string, unknown> {
  return { ok: true, joins: change.joins.length, leaves: change.leaves.length };
}

let stopping: Promise<void> | undefined;

function stop(announce: boolean): Promise<void> {
  stopping ??= (async () => {
    for (const watch of watches) clearTimeout(watch.timer);
    watches = [];
    if (!booted) return;
    replica.stop({ announce });
    await transport.close();
  })();
  return stopping;
}

async function handle(command: Command): Promise<Record<string, unknown> | undefined> {
  if (command.cmd === 'start') {
    boot();
    return { ok: true, startedAt };
  }
  if (!booted && command.cmd !== 'stop') return { ok: false, error: 'not started' };
  switch (command.cmd) {
    case 'track': {
      const result = replica.track(
        str(command['topic'], 'topic'),
        str(command['key'], 'key'),
        str(command['conn'], 'conn'),
        (command['meta'] ?? {}) as Meta,
      );
      return result.ok ? { ok: true } : { ok: false, reason: result.reason };
    }
    case 'trackMany':
      return trackMany(command);
    case 'untrack':
      return changeCounts(
        replica.untrack(
          str(command['topic'], 'topic'),
          str(command['key'], 'key'),
          str(command['conn'], 'conn'),
        ),
      );
    case 'untrackConnection':
      return changeCounts(replica.untrackConnection(str(command['conn'], 'conn')));
    case 'update': {
      const result = replica.update(
        str(command['topic'], 'topic'),
        str(command['key'], 'key'),
        str(command['conn'], 'conn'),
        (command['meta'] ?? {}) as Meta,
      );
      return result.ok ? { ok: true } : { ok: false, reason: result.reason };
    }
    case 'list':
      return {
        ok: true,
        presences: replica.view.list(str(command['topic'], 'topic')).map((p) => ({
          key: p.key,
          meta: p.meta,
          replica: p.replica.ref.name,
          vsn: p.replica.ref.vsn,
          counter: p.counter,
        })),
      };
    case 'summary':
      return summary();
    case 'watch': {
      const size = num(command['size'], 'size');
      if (replica.view.size >= size) return { ok: true, at: Date.now(), size: replica.view.size };
      const id = command.id;
      const timer = setTimeout(
        () => {
          watches = watches.filter((w) => w.timer !== timer);
          emit({ id, ok: false, error: 'watch timed out', size: replica.view.size });
        },
        num(command['timeoutMs'], 'timeoutMs', 60_000),
      );
      watches.push({ size, id, timer });
      return undefined; // answered by checkWatches or the timer
    }
    case 'churn':
      return churn(command);
    case 'staleness':
      return stalenessReport(command);
    case 'ping':
      return { ok: true, now: Date.now() };
    case 'stop':
      await stop(command['announce'] !== false);
      emit({ id: command.id, ok: true });
      process.exit(0);
      return undefined;
    default:
      return { ok: false, error: `unknown command ${String(command.cmd)}` };
  }
}

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === '') return;
  let command: Command;
  try {
    command = JSON.parse(line) as Command;
  } catch {
    emit({ ok: false, error: 'not JSON' });
    return;
  }
  handle(command).then(
    (reply) => {
      if (reply !== undefined) emit({ id: command.id, ...reply });
    },
    (err: unknown) => emit({ id: command.id, ok: false, error: String(err) }),
  );
});

async function gracefulExit(): Promise<void> {
  await stop(true);
  process.exit(0);
}
// The parent going away closes stdin: leave rather than linger as an orphan.
input.on('close', () => void gracefulExit());
process.on('SIGTERM', () => void gracefulExit());
process.on('SIGINT', () => void gracefulExit());

/** Creates the transport and the replica, starts it, and reports `ready` once the link is up. */
function boot(): void {
  if (booted) return;
  booted = true;
  startedAt = Date.now();
  transport = new CountingTransport(
    redisBusChannel({
      selfId: name,
      url: redisUrl,
      channelPrefix: args.prefix,
      clusterSecret: args['cluster-secret'],
      logger,
      // Reconnect quickly (tests restart Redis); production keeps ioredis's default backoff.
      redisOptions: { retryStrategy: (attempt: number) => Math.min(attempt * 20, 200) },
    }),
  );

  replica = new TrackerReplica({
    name,
    transport,
    broadcastPeriodMs: Number(args['broadcast-period-ms']),
    downPeriodMs: Number(args['down-period-ms']),
    permdownPeriodMs: Number(args['permdown-period-ms']),
    logger,
  });
  selfKey = `${replica.ref.name}#${replica.ref.vsn}`;
  replica.on('diff', onDiff);
  replica.on('replica', (event) => {
    emit({ event: 'replica', at: Date.now(), type: event.type, ...event.ref });
  });
  replica.on('link', (up) => emit({ event: 'link', at: Date.now(), up }));
  replica.start();
  waitForLinkUp(transport, Number(args['link-timeout-ms'])).then(
    () =>
      emit({
        event: 'ready',
        at: Date.now(),
        name,
        vsn: replica.ref.vsn,
        pid: process.pid,
        startedAt,
      }),
    (err: unknown) => {
      process.stderr.write(`[${name}] ${String(err)}\n`);
      process.exit(1);
    },
  );
}

// With --wait-start the process loads, says `loaded`, and boots on {"cmd":"start"}: a restart can
// then replace a killed replica within milliseconds, not a module-loading time.
if (args['wait-start']) emit({ event: 'loaded', at: Date.now(), pid: process.pid });
else boot();
