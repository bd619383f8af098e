/**
 * What one connect costs, part by part, on one in-process gateway (createPresenceServer on a real
 * HTTP server, in-memory transport, the load generator's Chung–Lu population as a graphology
 * graph). Light clients in a child process speak engine.io/socket.io over raw websockets (the
 * `ws` package), so the gateway's process does only server work.
 *
 * Synchronous parts are timed in place (wall time around the gateway's steps): topic watches,
 * tracker track, the join diff's listeners (fan-out to friends' sockets, counts), the state's
 * read, build and encoding, its socket write. Asynchronous parts (JWT verification, graph lookup)
 * are timed alone, sequentially, on the same inputs (CPU time, all threads). "other" is the
 * process CPU
 * per connect minus the timed parts: engine.io/socket.io handshake, websocket upgrade, HTTP,
 * middleware, promises, GC. Memory per connection is RSS, heap and external after a forced GC,
 * against the same process before connecting; `--heap` adds heap snapshots compared by
 * constructor (self sizes).
 *
 *   npm run bench:connect [-- --connections 3000 --label after --heap]
 *   npm run bench:connect -- --floor   (bare socket.io + the JWT check: the floor, see runFloor)
 *
 * Writes load/results/connect-cost.json (one entry per --label) and prints a table.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { Socket as EngineSocket } from 'engine.io';
import { SignJWT } from 'jose';
import { Server } from 'socket.io';
import { WebSocket } from 'ws';
import { GraphologyFriendsGraph } from '../graph-adapters/graphology/index.js';
import { FriendsOnline } from '../src/counts/friends-online.js';
import { jwtAuthenticate } from '../src/gateway/edge/authentication.js';
import { TopicWatchers } from '../src/gateway/outbound/topic-watchers.js';
import { SessionSubscriptions } from '../src/gateway/session/subscriptions.js';
import { lookupVisible } from '../src/ports/graph-lookup.js';
import { createPresenceServer } from '../src/server/create-presence-server.js';
import { machineInfo } from './machine.js';
import { printTable, resultsPath, round } from './report.js';
import { buildPopulation } from './social-graph/population.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '3000' },
    degree: { type: 'string', default: '100' },
    'max-degree': { type: 'string', default: '3000' },
    devices: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    /** Connects the clients keep in flight. */
    concurrency: { type: 'string', default: '200' },
    /** The gateway's admission.concurrency (default: the gateway's own default). */
    admission: { type: 'string' },
    label: { type: 'string', default: 'current' },
    heap: { type: 'boolean', default: false },
    client: { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
  },
});

const SECRET = 'connect-cost-bench-secret-of-32-bytes';
const NAMESPACE = '/presence';

interface ClientInit {
  readonly url: string;
  readonly users: readonly string[];
  readonly concurrency: number;
}
interface ClientReport {
  readonly kind: 'done';
  readonly states: number;
  readonly refusals: number;
  readonly elapsedMs: number;
  /** Time to `presence_state` per connection, ms, sorted. */
  readonly timeToState: number[];
}

// ── the client process ───────────────────────────────────────────────────────────────────────

function runClient(): void {
  const sockets: WebSocket[] = [];
  process.on('message', (message: { kind: 'init' } & ClientInit) => {
    if (message.kind === 'init') void connectAll(message);
  });
  process.on('disconnect', () => {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  });

  async function connectAll(init: ClientInit): Promise<void> {
    const key = new TextEncoder().encode(SECRET);
    const tokens = await Promise.all(
      init.users.map((user) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(user)
          .setExpirationTime('2h')
          .sign(key),
      ),
    );
    process.send?.({ kind: 'ready' });
    await new Promise<void>((resolve) => process.once('message', () => resolve()));
    const times: number[] = [];
    let refusals = 0;
    let next = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const open = (index: number) => {
        const at = performance.now();
        const ws = new WebSocket(`${init.url}/socket.io/?EIO=4&transport=websocket`);
        const auth = JSON.stringify({ token: tokens[index], device: `d${index}` });
        let got = false;
        ws.on('message', (raw) => {
          const text = raw.toString();
          if (text === '2') ws.send('3');
          else if (text.startsWith('0')) ws.send(`40${NAMESPACE},${auth}`);
          else if (!got && text.startsWith(`42${NAMESPACE},["presence_state"`)) {
            got = true;
            times.push(performance.now() - at);
            sockets.push(ws);
            if (next < init.users.length) open(next++);
            else if (times.length === init.users.length) resolve();
          } else if (text.startsWith(`44${NAMESPACE},`)) {
            // Refused (overloaded): try again after the hint.
            refusals++;
            ws.terminate();
            const hint = /"retryAfterMs":(\d+)/.exec(text);
            setTimeout(() => open(index), hint ? Number(hint[1]) : 500);
          }
        });
        ws.on('error', () => {});
      };
      for (; next < Math.min(init.concurrency, init.users.length); next++) open(next);
    });
    const report: ClientReport = {
      kind: 'done',
      states: times.length,
      refusals,
      elapsedMs: performance.now() - started,
      timeToState: times.sort((a, b) => a - b),
    };
    process.send?.(report);
  }
}

// ── the gateway process ──────────────────────────────────────────────────────────────────────

/** Microseconds spent per part, and how often it ran. */
class Parts {
  readonly us = new Map<string, number>();
  add(part: string, ms: number): void {
    this.us.set(part, (this.us.get(part) ?? 0) + ms * 1000);
  }
  perConnect(part: string, n: number): number {
    return round((this.us.get(part) ?? 0) / n, 1);
  }
}

/**
 * Wraps a method to report its wall time per call. Not CPU time: getrusage costs far more than
 * most of the parts measured (in a profile it was 9 % of the process), and on a quiet machine a
 * synchronous step's wall time is its CPU time.
 */
function timeMethod<T extends object>(
  target: T,
  name: string,
  onTime: (ms: number, args: unknown[]) => void,
): () => void {
  const record = target as Record<string, unknown>;
  const original = record[name] as (...args: unknown[]) => unknown;
  record[name] = function timed(this: unknown, ...args: unknown[]) {
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      onTime(performance.now() - started, args);
    }
  };
  return () => {
    record[name] = original;
  };
}

/** Forks the client process for `users` against the gateway on `port`; resolves once it is ready. */
async function startClients(port: number, users: readonly string[]) {
  const client = fork(process.argv[1]!, ['--client'], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const reply = <T>(kind: string) =>
    new Promise<T>((resolve) => {
      const on = (message: { kind: string }) => {
        if (message.kind !== kind) return;
        client.off('message', on);
        resolve(message as T);
      };
      client.on('message', on);
    });
  client.send({
    kind: 'init',
    url: `ws://127.0.0.1:${port}`,
    users,
    concurrency: Number(values.concurrency),
  });
  await reply('ready');
  return { client, reply };
}

async function runBench(): Promise<void> {
  const connections = Number(values.connections);
  const population = buildPopulation({
    connections,
    maxDevices: Number(values.devices),
    meanDegree: Number(values.degree),
    maxDegree: Number(values['max-degree']),
    nodes: 1,
    workers: 1,
    seed: Number(values.seed),
  });
  const users = population.connections.map((c) => c.user);
  const graph = new GraphologyFriendsGraph({ graph: population.graph });

  // Asynchronous parts, alone and in sequence: their cost, not their wait under load.
  const verify = jwtAuthenticate(SECRET);
  const key = new TextEncoder().encode(SECRET);
  const sample = users.slice(0, Math.min(users.length, 2_000));
  const tokens = await Promise.all(
    sample.map((user) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user)
        .setExpirationTime('1h')
        .sign(key),
    ),
  );
  const sequential = async (run: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await run(i % sample.length); // warm-up
    const started = process.cpuUsage();
    for (let i = 0; i < sample.length; i++) await run(i);
    const { user, system } = process.cpuUsage(started);
    return (user + system) / sample.length;
  };
  const jwtUs = await sequential(async (i) => verify({ auth: { token: tokens[i] } } as never));
  const graphUs = await sequential((i) => lookupVisible(graph, sample[i]!, 5_000));

  const httpServer = createServer();
  const presence = createPresenceServer({
    httpServer,
    graph,
    jwtSecret: SECRET,
    // Every client here connects from one address: no per-address handshake limit.
    handshakeRateLimit: { perSecond: 0 },
    ...(values.admission ? { admission: { concurrency: Number(values.admission) } } : {}),
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  // Synchronous parts, timed in place.
  const parts = new Parts();
  const session = SessionSubscriptions.prototype as unknown as Record<string, unknown>;
  // Which socket writes belong to the state and which to the join diff's fan-out.
  let inState = false;
  let inJoinDiff = false;
  const restore = [
    timeMethod(TopicWatchers.prototype, 'add', (ms) => parts.add('rooms', ms)),
    timeMethod(presence.replica, 'track', (ms) => parts.add('track+diff', ms)),
    timeMethod(presence.replica, 'emit', (ms, args) => {
      if (args[0] === 'diff') parts.add('joinDiff', ms);
    }),
    timeMethod(FriendsOnline.prototype, 'watch', (ms) => parts.add('watch', ms)),
    timeMethod(session, 'subscribe', (ms) => parts.add('subscribe', ms)),
    timeMethod(EngineSocket.prototype, 'sendPacket', (ms) => {
      if (inState) parts.add('stateWrite', ms);
      else if (inJoinDiff) parts.add('joinDiffWrite', ms);
    }),
  ];
  const flag = (target: Record<string, unknown>, name: string, set: (on: boolean) => void) => {
    const original = target[name] as (...args: unknown[]) => unknown;
    target[name] = function flagged(this: unknown, ...args: unknown[]) {
      set(true);
      try {
        return original.apply(this, args);
      } finally {
        set(false);
      }
    };
    restore.push(() => {
      target[name] = original;
    });
  };
  flag(session, 'subscribe', (on) => {
    inState = on;
  });
  flag(presence.replica as unknown as Record<string, unknown>, 'emit', (on) => {
    inJoinDiff = on;
  });

  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const dir = join(tmpdir(), `connect-cost-${process.pid}`);
  const snapshot = (name: string) => (values.heap ? writeHeapSnapshot(join(dir, name)) : '');
  if (values.heap) mkdirSync(dir, { recursive: true });

  const { client, reply } = await startClients(port, users);
  await settle();
  const before = process.memoryUsage();
  const snapshotBefore = snapshot('before.heapsnapshot');
  const cpuBefore = process.cpuUsage();
  const done = reply<ClientReport>('done');
  client.send({ kind: 'go' });
  const report = await done;
  const cpu = process.cpuUsage(cpuBefore);
  for (const undo of restore.reverse()) undo();
  await new Promise((r) => setTimeout(r, 1_000));
  await settle();
  const after = process.memoryUsage();
  const snapshotAfter = snapshot('after.heapsnapshot');

  const n = report.states;
  const per = (part: string) => parts.perConnect(part, n);
  const cpuUs = round((cpu.user + cpu.system) / n, 1);
  const breakdown = {
    jwtVerify: round(jwtUs, 1),
    graphLookup: round(graphUs, 1),
    topicWatches: per('rooms'),
    trackerTrack: round(per('track+diff') - per('joinDiff'), 1),
    joinDiffBuildEncode: round(per('joinDiff') - per('joinDiffWrite'), 1),
    joinDiffSocketWrites: per('joinDiffWrite'),
    friendsOnlineWatch: per('watch'),
    stateReadBuildEncode: round(
      per('subscribe') - per('rooms') - per('watch') - per('stateWrite'),
      1,
    ),
    stateSocketWrite: per('stateWrite'),
  };
  const timed = Object.values(breakdown).reduce((a, b) => a + b, 0);
  const pct = (p: number) =>
    round(
      report.timeToState[Math.min(report.timeToState.length - 1, Math.floor(p * n))] ?? Number.NaN,
      0,
    );
  const memory = {
    // A heap snapshot's own native memory stays resident: RSS says nothing in a --heap run.
    rss: values.heap ? null : Math.round((after.rss - before.rss) / n),
    heapUsed: Math.round((after.heapUsed - before.heapUsed) / n),
    external: Math.round((after.external - before.external) / n),
    arrayBuffers: Math.round((after.arrayBuffers - before.arrayBuffers) / n),
  };
  const byConstructor = values.heap
    ? compareSnapshots(snapshotBefore, snapshotAfter, n)
    : undefined;
  const result = {
    label: values.label,
    date: new Date().toISOString(),
    machine: machineInfo(),
    options: {
      connections,
      users: population.degrees.users,
      meanDegree: population.degrees.mean,
      maxDegree: population.degrees.max,
      clientConcurrency: Number(values.concurrency),
      admissionConcurrency: values.admission ? Number(values.admission) : 'default',
      gcExposed: gc !== undefined,
    },
    connectsPerSec: Math.round((n * 1000) / report.elapsedMs),
    timeToStateMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
    refusals: report.refusals,
    perConnectUs: {
      ...breakdown,
      otherUntimed: round(cpuUs - timed, 1),
      processCpu: cpuUs,
    },
    bytesPerConnection: memory,
    ...(byConstructor ? { heapDeltaPerConnection: byConstructor } : {}),
  };

  printTable(
    `connect cost [${values.label}]: ${n} connections, ${result.options.users} users, mean degree ${result.options.meanDegree}`,
    [
      [
        'connects/s (clients keep ' + values.concurrency + ' in flight)',
        `${result.connectsPerSec}`,
        '≥ 1,000',
      ],
      [
        'time to presence_state p50 / p99',
        `${result.timeToStateMs.p50} / ${result.timeToStateMs.p99} ms`,
        'p99 < 2 s',
      ],
      ...Object.entries(result.perConnectUs).map(([part, us]) => [
        `µs per connect: ${part}`,
        `${us}`,
        '',
      ]),
      [
        'bytes per connection: RSS / heap / external',
        `${memory.rss} / ${memory.heapUsed} / ${memory.external}`,
        'RSS ≤ 40,000',
      ],
      ...(byConstructor ?? [])
        .slice(0, 20)
        .map((row) => [`heap: ${row.name}`, `${row.bytes} B, ${row.count} objects`, '']),
    ],
  );
  const file = resultsPath('connect-cost.json');
  const all = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  all[values.label] = result;
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);

  client.disconnect();
  await presence.close();
  httpServer.closeAllConnections();
  httpServer.close();
  if (values.heap) rmSync(dir, { recursive: true, force: true });
  // Exit now: a --cpu-prof profile is written on exit, and lingering sockets must not hold it.
  process.exit(0);
}

interface ConstructorDelta {
  readonly name: string;
  /** Self bytes per connection. */
  readonly bytes: number;
  /** Objects per connection. */
  readonly count: number;
}

/** Self sizes by constructor (strings, arrays and code grouped by type), after minus before. */
function compareSnapshots(before: string, after: string, n: number): ConstructorDelta[] {
  const totals = (file: string) => {
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
      snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
      nodes: number[];
      strings: string[];
    };
    const fields = snapshot.snapshot.meta.node_fields;
    const types = snapshot.snapshot.meta.node_types[0];
    const stride = fields.length;
    const typeAt = fields.indexOf('type');
    const nameAt = fields.indexOf('name');
    const sizeAt = fields.indexOf('self_size');
    const out = new Map<string, { bytes: number; count: number }>();
    for (let i = 0; i < snapshot.nodes.length; i += stride) {
      const type = types[snapshot.nodes[i + typeAt]!]!;
      const name =
        type === 'object' || type === 'closure'
          ? `${snapshot.strings[snapshot.nodes[i + nameAt]!]} (${type})`
          : `(${type})`;
      const slot = out.get(name) ?? { bytes: 0, count: 0 };
      slot.bytes += snapshot.nodes[i + sizeAt]!;
      slot.count += 1;
      out.set(name, slot);
    }
    return out;
  };
  const a = totals(before);
  const b = totals(after);
  const rows: ConstructorDelta[] = [];
  for (const [name, { bytes, count }] of b) {
    const was = a.get(name) ?? { bytes: 0, count: 0 };
    rows.push({
      name,
      bytes: Math.round((bytes - was.bytes) / n),
      count: round((count - was.count) / n, 2),
    });
  }
  return rows.sort((x, y) => y.bytes - x.bytes).filter((row) => row.bytes !== 0);
}

/**
 * `--floor`: the same clients against a bare socket.io server that only verifies the token (the
 * same JWT check) and emits an empty `presence_state`: what socket.io, engine.io, ws, HTTP and the
 * JWT cost per connect on this machine, below which no presence server on socket.io can go.
 */
async function runFloor(): Promise<void> {
  const connections = Number(values.connections);
  const users = Array.from({ length: connections }, (_, i) => `floor-user-${i}`);
  const verify = jwtAuthenticate(SECRET);
  const httpServer = createServer();
  const io = new Server(httpServer, { transports: ['websocket'] });
  io.of(NAMESPACE)
    .use((socket, next) => {
      Promise.resolve(verify(socket.handshake as never)).then(
        (user) => next(user ? undefined : new Error('unauthorized')),
        () => next(new Error('unauthorized')),
      );
    })
    .on('connection', (socket) => {
      socket.emit('presence_state', {});
    });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const { client, reply } = await startClients(port, users);
  const cpuBefore = process.cpuUsage();
  const done = reply<ClientReport>('done');
  client.send({ kind: 'go' });
  const report = await done;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUs = round((cpu.user + cpu.system) / report.states, 1);
  client.kill();
  io.close();
  printTable(`connect floor (bare socket.io + JWT): ${report.states} connections`, [
    ['connects/s', `${Math.round((report.states * 1000) / report.elapsedMs)}`, ''],
    ['µs per connect: processCpu', `${cpuUs}`, ''],
  ]);
  const file = resultsPath('connect-cost.json');
  const all = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  all[`${values.label}-floor`] = {
    label: `${values.label}-floor`,
    date: new Date().toISOString(),
    machine: machineInfo(),
    connections: report.states,
    connectsPerSec: Math.round((report.states * 1000) / report.elapsedMs),
    perConnectUs: { processCpu: cpuUs },
  };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

if (values.client) runClient();
else if (values.floor) await runFloor();
else await runBench();
