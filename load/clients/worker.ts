/**
 * A client worker process (forked by the driver): opens its share of real socket.io connections
 * (websocket transport, one engine per connection) and plays the scenario's client side on
 * command: connect at a rate, send status updates, churn, reconnect elsewhere after a drop. It
 * measures at the receivers and reports every second (tick) and once at the end (final).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { Histogram, type HistogramData } from '../histogram.js';
import { seededRandom, shuffle } from '../social-graph/seeded-random.js';
import {
  type DriverMessage,
  deviceName,
  emptyCounters,
  HISTOGRAM_NAMES,
  type HistogramName,
  nowMs,
  parseDevice,
  type SeenRecord,
  type WorkerInit,
  type WorkerMessage,
} from './protocol.js';

interface Meta {
  readonly phx_ref: string;
  readonly phx_ref_prev?: string;
  readonly status?: string;
  readonly device?: string;
  readonly t?: number;
  readonly q?: number;
}
type Presences = Record<string, { metas: Meta[] }>;
/** A `deliver` message; the load sender's payload is `{ q: sequence, t: send time }`. */
interface PresenceMessage {
  readonly id: string;
  readonly event: string;
  readonly payload?: { readonly q?: number; readonly t?: number };
}
interface Diff {
  joins: Presences;
  leaves: Presences;
}

interface Client {
  readonly id: number;
  readonly user: string;
  node: number;
  incarnation: number;
  socket: Socket | undefined;
  up: boolean;
  /** Up since before the watched node died, never dropped: a steady observer. */
  steady: boolean;
  seq: number;
  /** Set while the worker itself closes the socket. */
  closing: boolean;
  droppedAt: number | undefined;
  churnTimer: NodeJS.Timeout | undefined;
}

let init: WorkerInit;
let random: () => number;
const clients = new Map<number, Client>();
const tokens = new Map<string, string>();
let counters = emptyCounters();
let histograms = new Map<HistogramName, Histogram>();
const receipts = new Map<string, number>();
const ackedUpdates: number[] = [];
const offlineSeen = new Map<number, SeenRecord>();
const onlineSeen = new Map<number, SeenRecord>();
const reconnects: [number, number, number][] = [];
const everConnected = new Set<number>();
const droppedIds = new Set<number>();
let updatesTimer: NodeJS.Timeout | undefined;
let churning = false;
/** Delivery: `<conn id>:<message seq>` → its receipt record (first arrival, arrivals). */
const messageReceipts = new Map<string, { seq: number; id: number; at: number; n: number }>();
/** Delivery: [id, closed at, back at (-1 until then)] per move. */
const moves: [number, number, number][] = [];
let movesTimer: NodeJS.Timeout | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function hist(name: HistogramName): Histogram {
  let h = histograms.get(name);
  if (!h) {
    h = new Histogram();
    histograms.set(name, h);
  }
  return h;
}

function bump(map: Map<number, SeenRecord>, id: number, at: number): void {
  const record = map.get(id);
  if (record) {
    record.count += 1;
    if (at > record.lastAt) record.lastAt = at;
  } else map.set(id, { count: 1, lastAt: at });
}

function parseChurnStatus(status: string | undefined): [number, number] | undefined {
  if (status === undefined || status[0] !== 'c') return undefined;
  const colon = status.indexOf(':');
  return [Number(status.slice(1, colon)), Number(status.slice(colon + 1))];
}

function onDiff(observer: Client, diff: Diff): void {
  const now = nowMs();
  counters.diffs += 1;
  let updatedRefs: Set<string> | undefined;
  const watching =
    init.watchNode !== undefined && observer.steady && observer.node !== init.watchNode;
  for (const user in diff.joins) {
    for (const meta of diff.joins[user]!.metas) {
      const from = parseDevice(meta.device);
      if (!from) continue;
      if (meta.phx_ref_prev !== undefined) {
        updatedRefs ??= new Set();
        updatedRefs.add(meta.phx_ref_prev);
        if (from.id === observer.id || meta.t === undefined) continue;
        counters.deliveries += 1;
        hist(from.node === observer.node ? 'fanOutSame' : 'fanOutCross').record(now - meta.t);
        if (init.countReceipts) {
          const key = `${from.id}:${meta.q}`;
          receipts.set(key, (receipts.get(key) ?? 0) + 1);
        }
        continue;
      }
      if (from.id === observer.id) continue;
      const churn = parseChurnStatus(meta.status);
      if (churn) {
        const same = from.node === observer.node;
        hist(same ? 'joinStalenessSame' : 'joinStalenessCross').record(now - churn[0]);
      }
      if (watching && from.incarnation >= 1) bump(onlineSeen, from.id, now);
    }
  }
  for (const user in diff.leaves) {
    for (const meta of diff.leaves[user]!.metas) {
      if (updatedRefs?.has(meta.phx_ref)) continue;
      const from = parseDevice(meta.device);
      if (!from || from.id === observer.id) continue;
      const churn = parseChurnStatus(meta.status);
      if (churn) {
        const same = from.node === observer.node;
        hist(same ? 'leaveStalenessSame' : 'leaveStalenessCross').record(now - churn[1]);
      }
      if (watching) {
        if (from.incarnation >= 1) counters.reconnectLeaves += 1;
        else if (from.node === init.watchNode) bump(offlineSeen, from.id, now);
        else counters.spuriousLeaves += 1;
      }
    }
  }
}

/** Records a message's arrival before the caller acks it: an acked message is always counted. */
function onMessage(client: Client, message: PresenceMessage): void {
  const now = nowMs();
  const seq = message.payload?.q;
  if (typeof seq !== 'number') return;
  const key = `${client.id}:${seq}`;
  const receipt = messageReceipts.get(key);
  if (receipt) {
    receipt.n += 1;
    counters.messageDuplicates += 1;
    return;
  }
  messageReceipts.set(key, { seq, id: client.id, at: now, n: 1 });
  counters.messagesReceived += 1;
  const sentAt = message.payload?.t;
  if (typeof sentAt === 'number') hist('deliverReceipt').record(now - sentAt);
}

async function tokenFor(user: string): Promise<string> {
  let token = tokens.get(user);
  if (token === undefined) {
    token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setExpirationTime('6h')
      .sign(new TextEncoder().encode(init.secret));
    tokens.set(user, token);
  }
  return token;
}

/**
 * Opens one connection; `done(true)` once it has its presence_state, `done(false)` on a connect
 * error or timeout (the socket is closed then).
 */
function open(client: Client, status: string, done: (ok: boolean) => void): void {
  client.incarnation += 1;
  client.closing = false;
  counters.connectAttempts += 1;
  const started = nowMs();
  const token = tokens.get(client.user)!;
  const socket = io(`${init.urls[client.node]}/presence`, {
    auth: { token, device: deviceName(client.id, client.incarnation, client.node), status },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: init.connectTimeoutMs,
  });
  client.socket = socket;
  let settled = false;
  const settle = (ok: boolean) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (!ok) {
      client.closing = true;
      socket.disconnect();
      if (client.socket === socket) client.socket = undefined;
    }
    done(ok);
  };
  const timer = setTimeout(() => {
    counters.connectTimeouts += 1;
    settle(false);
  }, init.connectTimeoutMs);
  socket.once('presence_state', () => {
    if (settled) return;
    const now = nowMs();
    counters.presenceStates += 1;
    hist('timeToState').record(now - started);
    client.up = true;
    everConnected.add(client.id);
    if (client.droppedAt !== undefined) {
      reconnects.push([client.id, client.droppedAt, now]);
      client.droppedAt = undefined;
    }
    settle(true);
  });
  socket.on('presence_diff', (diff: Diff) => onDiff(client, diff));
  socket.on('presence_message', (message: PresenceMessage, ack?: () => void) => {
    onMessage(client, message);
    ack?.();
  });
  socket.on('connect_error', (err: Error) => {
    // socket.io-client's own handshake timeout is a timeout too, not a refusal.
    if (err.message === 'timeout') counters.connectTimeouts += 1;
    else counters.connectErrors += 1;
    settle(false);
  });
  socket.on('disconnect', () => {
    const wasUp = client.up;
    client.up = false;
    if (client.closing || client.socket !== socket) return;
    client.socket = undefined;
    if (!wasUp) return settle(false);
    counters.droppedConnections += 1;
    droppedIds.add(client.id);
    client.steady = false;
    client.droppedAt ??= nowMs();
    if (init.reconnect.enabled) scheduleReconnect(client);
  });
}

const MAX_RECONNECT_DELAY_MS = 30_000;

/** Like socket.io-client's reconnection: random delay, window doubling after each failure. */
function scheduleReconnect(client: Client, attempt = 0): void {
  const window = Math.min(init.reconnect.jitterMs * 2 ** attempt, MAX_RECONNECT_DELAY_MS);
  setTimeout(
    () => {
      client.node = (client.node + 1) % init.urls.length;
      open(client, 's', (ok) => {
        if (!ok) scheduleReconnect(client, attempt + 1);
      });
    },
    Math.floor(random() * window),
  );
}

function close(client: Client): void {
  const socket = client.socket;
  client.up = false;
  client.socket = undefined;
  if (socket) {
    client.closing = true;
    socket.disconnect();
  }
}

async function connectMany(ids: readonly number[], ratePerSec: number, concurrency: number) {
  for (const id of ids) await tokenFor(clients.get(id)!.user);
  await new Promise<void>((resolve) => {
    if (ids.length === 0) return resolve();
    const started = performance.now();
    let next = 0;
    let inFlight = 0;
    let finished = 0;
    const pump = () => {
      const allowed = Math.floor(((performance.now() - started) / 1000) * ratePerSec) + 1;
      while (next < ids.length && next < allowed && inFlight < concurrency) {
        const client = clients.get(ids[next]!)!;
        next += 1;
        inFlight += 1;
        open(client, 's', () => {
          inFlight -= 1;
          finished += 1;
          if (finished === ids.length) resolve();
        });
      }
      if (next === ids.length) clearInterval(pumping);
    };
    const pumping = setInterval(pump, 5);
    pump();
  });
  send({ kind: 'connectDone', index: init.index });
}

function startUpdates(ratePerSec: number): void {
  const order = shuffle(random, [...clients.keys()]);
  let cursor = 0;
  let sent = 0;
  const started = performance.now();
  const tick = () => {
    const due = Math.floor(((performance.now() - started) / 1000) * ratePerSec) - sent;
    for (let k = 0; k < due; k += 1) {
      sent += 1;
      let client: Client | undefined;
      for (let tries = 0; tries < order.length; tries += 1) {
        const candidate = clients.get(order[cursor]!)!;
        cursor = (cursor + 1) % order.length;
        if (candidate.up) {
          client = candidate;
          break;
        }
      }
      if (!client?.socket) continue;
      const id = client.id;
      const seq = ++client.seq;
      counters.updatesSent += 1;
      client.socket.emit('presence:update', { t: nowMs(), q: seq }, (ack: { ok: boolean }) => {
        if (ack?.ok) {
          counters.updatesAcked += 1;
          ackedUpdates.push(id, seq);
        } else counters.updatesRejected += 1;
      });
    }
  };
  updatesTimer = setInterval(tick, 10);
}

function uniformAround(mean: number): number {
  return mean * (0.5 + random());
}

function startChurn(ids: readonly number[], meanLifetimeMs: number): void {
  churning = true;
  const leaveLater = (client: Client, atMs: number) => {
    client.churnTimer = setTimeout(
      () => {
        if (!churning) return;
        close(client);
        counters.leaves += 1;
        rejoinLater(client);
      },
      Math.max(0, atMs - nowMs()),
    );
  };
  const rejoinLater = (client: Client) => {
    client.churnTimer = setTimeout(() => {
      if (!churning) return;
      const connectAt = nowMs();
      const leaveAt = connectAt + uniformAround(meanLifetimeMs);
      open(client, `c${connectAt.toFixed(1)}:${leaveAt.toFixed(1)}`, (ok) => {
        if (!churning) return;
        if (ok) leaveLater(client, leaveAt);
        else rejoinLater(client);
      });
    }, uniformAround(meanLifetimeMs));
  };
  for (const id of ids) {
    const client = clients.get(id)!;
    // Residual lifetime of a connection already up: uniform over one mean lifetime and a half.
    if (client.up) leaveLater(client, nowMs() + random() * 1.5 * meanLifetimeMs);
    else rejoinLater(client);
  }
}

/**
 * Moves: `ratePerSec` connected clients (at random) disconnect, and reconnect to the next node
 * after 0..awayMs (a failed attempt is retried there after 0..awayMs again).
 */
function startMoves(ratePerSec: number, awayMs: number): void {
  const ids = [...clients.keys()];
  let started = 0;
  const begun = performance.now();
  const reopen = (client: Client, move: [number, number, number]) => {
    open(client, 's', (ok) => {
      if (ok) move[2] = nowMs();
      else setTimeout(() => reopen(client, move), Math.floor(random() * awayMs));
    });
  };
  const tick = () => {
    const due = Math.floor(((performance.now() - begun) / 1000) * ratePerSec) - started;
    for (let k = 0; k < due; k += 1) {
      started += 1;
      let client: Client | undefined;
      for (let tries = 0; tries < 20 && !client; tries += 1) {
        const candidate = clients.get(ids[Math.floor(random() * ids.length)]!)!;
        if (candidate.up && candidate.socket) client = candidate;
      }
      if (!client) continue;
      const move: [number, number, number] = [client.id, nowMs(), -1];
      moves.push(move);
      counters.moves += 1;
      close(client);
      const moving = client;
      moving.node = (moving.node + 1) % init.urls.length;
      setTimeout(() => reopen(moving, move), Math.floor(random() * awayMs));
    }
  };
  movesTimer = setInterval(tick, 10);
}

function stopChurn(): void {
  churning = false;
  for (const client of clients.values()) clearTimeout(client.churnTimer);
}

function tick(): void {
  if (loopDelay.count > 0) {
    hist('workerLoopLag').record(loopDelay.percentile(99) / 1e6);
    loopDelay.reset();
  }
  const data: Partial<Record<HistogramName, HistogramData>> = {};
  for (const name of HISTOGRAM_NAMES) {
    const h = histograms.get(name);
    if (h && h.count > 0) data[name] = h.toData();
  }
  let connected = 0;
  for (const client of clients.values()) if (client.up) connected += 1;
  send({ kind: 'tick', index: init.index, connected, counters, histograms: data });
  counters = emptyCounters();
  histograms = new Map();
}

function final(): void {
  const connectedIds: number[] = [];
  for (const client of clients.values()) if (client.up) connectedIds.push(client.id);
  send({
    kind: 'final',
    index: init.index,
    connectedIds,
    everConnectedIds: [...everConnected],
    ackedUpdates,
    receipts: [...receipts.entries()],
    offlineSeen: [...offlineSeen.entries()],
    onlineSeen: [...onlineSeen.entries()],
    reconnects,
    droppedIds: [...droppedIds],
    messageReceipts: [...messageReceipts.values()].flatMap((r) => [r.seq, r.id, r.at, r.n]),
    moves: moves.flat(),
  });
}

process.on('message', (message: DriverMessage) => {
  switch (message.kind) {
    case 'init': {
      init = message;
      random = seededRandom(message.seed * 7919 + message.index);
      for (const c of message.connections) {
        clients.set(c.id, {
          ...c,
          incarnation: -1,
          socket: undefined,
          up: false,
          steady: true,
          seq: 0,
          closing: false,
          droppedAt: undefined,
          churnTimer: undefined,
        });
      }
      loopDelay.enable();
      setInterval(tick, 1000).unref();
      send({ kind: 'ready', index: message.index });
      break;
    }
    case 'connect':
      void connectMany(message.ids ?? [...clients.keys()], message.ratePerSec, message.concurrency);
      break;
    case 'updates':
      startUpdates(message.ratePerSec);
      break;
    case 'stopUpdates':
      clearInterval(updatesTimer);
      break;
    case 'churn':
      startChurn(message.ids, message.meanLifetimeMs);
      break;
    case 'stopChurn':
      stopChurn();
      break;
    case 'moves':
      startMoves(message.ratePerSec, message.awayMs);
      break;
    case 'stopMoves':
      clearInterval(movesTimer);
      break;
    case 'flush':
      tick();
      send({ kind: 'flushed', index: init.index });
      break;
    case 'final':
      tick();
      final();
      break;
    case 'close':
      stopChurn();
      clearInterval(movesTimer);
      clearInterval(updatesTimer);
      for (const client of clients.values()) close(client);
      setTimeout(() => process.exit(0), 200);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
