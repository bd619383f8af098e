/**
 * A worker's connections: opening one (JWT in the handshake's `auth`, measured until its
 * `presence_state`), retrying after an `overloaded` refusal as the server hints, closing,
 * reconnecting after a drop, and noticing a peer that went silent (no ping). The wire itself
 * is load/clients/wire.ts; what is measured is load/clients/measurements.ts.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  DEFAULT_RECONNECT_BACKOFF,
  type ReconnectBackoff,
  randomMomentMs,
  reconnectDelayMs,
  retryHintMs,
} from '../../src/client/reconnect-schedule.js';
import type { PresenceMap } from '../../src/domain/client-protocol.js';
import type { LoadDiff, LoadMessage, LoadMeta, Measurements } from './measurements.js';
import { deviceName, nowMs, type WorkerConnection, type WorkerInit } from './protocol.js';
import { SocketIoWire } from './socketio-wire.js';
import { type ClientWire, type WireHandlers, WireSocket } from './wire.js';

const NAMESPACE = '/presence';

export interface Client extends WorkerConnection {
  node: number;
  socket: ClientWire | undefined;
  /** Has its presence_state. */
  up: boolean;
  /** Up since before the watched node died, never dropped: a steady observer. */
  steady: boolean;
  seq: number;
  /** Set while the worker itself closes the socket. */
  closing: boolean;
  droppedAt: number | undefined;
  churnTimer: NodeJS.Timeout | undefined;
  /** Refusals (`overloaded`) in a row, and the pending retry after the last one. */
  refusals: number;
  retry: { readonly timer: NodeJS.Timeout; readonly giveUp: () => void } | undefined;
  /**
   * One device and one lineage for the client's whole life, sent in every handshake as the SDK
   * does (src/client/connection-lifecycle.ts): a reconnect on any node takes its entry over.
   */
  readonly device: string;
  readonly lineage: string;
}

/** Refusals retried after the server's hint (the SDK's list, src/client/connection-lifecycle.ts). */
const RETRIED_REFUSALS: ReadonlySet<string> = new Set([
  'overloaded',
  'too_many_handshakes',
  'draining',
]);

/** The metas in a `presence_state` (an unreadable one counts 0). */
function stateMetas(state: PresenceMap<LoadMeta>): number {
  let metas = 0;
  if (typeof state !== 'object' || state === null) return 0;
  for (const user in state) metas += state[user]?.metas?.length ?? 0;
  return metas;
}

/** How long a node whose transport refused a connect is skipped (nginx's default fail_timeout). */
const FAIL_TIMEOUT_MS = 10_000;

export class Connections {
  readonly clients = new Map<number, Client>();
  private readonly tokens = new Map<string, string>();
  /** When a connect to each node last failed at the transport (see nextNode). */
  private readonly failedAt: number[] = [];

  constructor(
    private readonly init: WorkerInit,
    private readonly measure: Measurements,
    private readonly random: () => number,
  ) {
    for (const c of init.connections) {
      this.clients.set(c.id, {
        ...c,
        socket: undefined,
        up: false,
        steady: true,
        seq: 0,
        closing: false,
        droppedAt: undefined,
        churnTimer: undefined,
        refusals: 0,
        retry: undefined,
        device: deviceName(c.id, c.node),
        // As the SDK's randomLineage(): 16 random bytes in base64url, 22 characters.
        lineage: randomBytes(16).toString('base64url'),
      });
    }
    // A node that stops without closing its sockets (SIGSTOP, a cut network) stops pinging.
    setInterval(() => this.dropSilent(), 2_000).unref();
  }

  get nodeCount(): number {
    return this.init.urls.length;
  }

  get(id: number): Client {
    return this.clients.get(id)!;
  }

  /** Signs the tokens first so that signing does not count in the time to presence_state. */
  async prepareTokens(ids: readonly number[]): Promise<void> {
    const key = new TextEncoder().encode(this.init.secret);
    for (const id of ids) {
      const user = this.get(id).user;
      if (this.tokens.has(user)) continue;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user)
        .setExpirationTime('6h')
        .sign(key);
      this.tokens.set(user, token);
    }
  }

  /**
   * Opens one connection; `done(true)` once it has its presence_state, `done(false)` on a
   * connect error or timeout (the socket is closed then). A refusal with `overloaded` is retried
   * after the server's hint (doubling while refused, jittered) and is neither.
   */
  open(client: Client, status: string, done: (ok: boolean) => void): void {
    client.closing = false;
    client.refusals = 0;
    this.measure.counters.connectAttempts += 1;
    this.attempt(client, status, nowMs(), done);
  }

  private attempt(
    client: Client,
    status: string,
    started: number,
    done: (ok: boolean) => void,
  ): void {
    const { measure } = this;
    const token = this.tokens.get(client.user)!;
    let settled = false;
    let accepted = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!ok) {
        client.closing = true;
        socket.close();
        if (client.socket === socket) client.socket = undefined;
      }
      done(ok);
    };
    const timer = setTimeout(() => {
      measure.counters.connectTimeouts += 1;
      settle(false);
    }, this.init.connectTimeoutMs);
    const auth = { token, device: client.device, lineage: client.lineage, status };
    const handlers: WireHandlers = {
      onConnect: () => {
        accepted = true;
      },
      onConnectError: (message, data) => {
        if (settled) return;
        if (!RETRIED_REFUSALS.has(message)) {
          // socket.io-client's own handshake timeout is a timeout too, not a refusal.
          if (message === 'timeout') measure.counters.connectTimeouts += 1;
          else measure.counters.connectErrors += 1;
          settle(false);
          return;
        }
        measure.counters.connectRefusals += 1;
        settled = true;
        clearTimeout(timer);
        if (client.socket === socket) client.socket = undefined;
        socket.close('refused');
        client.refusals += 1;
        // No balancer here: the list of URLs is one; a draining node's retry goes to the next.
        if (message === 'draining') client.node = this.nextNode(client.node);
        const hint = (data as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
        // The SDK's schedule (src/client/reconnect-schedule.ts): the hint, plus full jitter.
        const delay = reconnectDelayMs(
          client.refusals,
          hint,
          DEFAULT_RECONNECT_BACKOFF,
          this.random,
        );
        client.retry = {
          timer: setTimeout(() => {
            client.retry = undefined;
            this.attempt(client, status, started, done);
          }, delay),
          giveUp: () => done(false),
        };
      },
      onEvent: (name, payload, ack) => {
        if (name === 'presence_diff') measure.onDiff(client, payload as LoadDiff);
        else if (name === 'presence_drain') this.moveWithin(client, socket, payload);
        else if (name === 'presence_message') {
          measure.onMessage(client.id, payload as LoadMessage | undefined);
          ack?.();
        } else if (name === 'presence_state' && !settled) {
          measure.onState(client, payload as PresenceMap<LoadMeta>);
          const now = nowMs();
          measure.counters.presenceStates += 1;
          measure.counters.stateMetas += stateMetas(payload as PresenceMap<LoadMeta>);
          measure.hist('timeToState').record(now - started);
          client.up = true;
          client.refusals = 0;
          measure.everConnected.add(client.id);
          if (client.droppedAt !== undefined) {
            measure.reconnects.push([client.id, client.droppedAt, now]);
            client.droppedAt = undefined;
          }
          settle(true);
        }
      },
      onClose: () => {
        const wasUp = client.up && client.socket === socket;
        if (client.socket === socket) client.up = false;
        if (client.closing || client.socket !== socket) return;
        client.socket = undefined;
        if (!wasUp) {
          // Like socket.io-client's connect_error: the transport failed before the namespace.
          if (!settled && !accepted) {
            measure.counters.connectErrors += 1;
            this.failedAt[client.node] = nowMs();
          }
          settle(false);
          return;
        }
        measure.counters.droppedConnections += 1;
        measure.droppedIds.add(client.id);
        client.steady = false;
        client.droppedAt ??= nowMs();
        if (this.init.reconnect.enabled) this.scheduleReconnect(client);
      },
    };
    const url = this.init.urls[client.node]!;
    const socket: ClientWire =
      this.init.client === 'socket.io'
        ? new SocketIoWire(url, NAMESPACE, auth, handlers, this.init.connectTimeoutMs)
        : new WireSocket(url, NAMESPACE, auth, handlers);
    client.socket = socket;
  }

  /**
   * The node after `from` that has not failed a connect at the transport in the last
   * FAIL_TIMEOUT_MS, as a load balancer's passive health check does (nginx's `max_fails=1
   * fail_timeout=10s`): a killed node's clients do not spend every other retry on it. Plain
   * rotation when every node failed lately.
   */
  private nextNode(from: number): number {
    const nodes = this.init.urls.length;
    const now = nowMs();
    for (let step = 1; step <= nodes; step++) {
      const node = (from + step) % nodes;
      if (now - (this.failedAt[node] ?? Number.NEGATIVE_INFINITY) >= FAIL_TIMEOUT_MS) return node;
    }
    return (from + 1) % nodes;
  }

  /**
   * Like the SDK (src/client/reconnect-schedule.ts): full jitter, the first try within
   * --reconnect-jitter-ms, the window doubling after each failure up to the SDK's cap.
   */
  scheduleReconnect(client: Client, attempt = 1): void {
    const jitterMs = this.init.reconnect.jitterMs;
    const backoff: ReconnectBackoff = {
      baseMs: jitterMs,
      capMs: Math.max(jitterMs, DEFAULT_RECONNECT_BACKOFF.capMs),
    };
    setTimeout(
      () => {
        client.node = this.nextNode(client.node);
        this.open(client, 's', (ok) => {
          if (!ok) this.scheduleReconnect(client, attempt + 1);
        });
      },
      reconnectDelayMs(attempt, undefined, backoff, this.random),
    );
  }

  /**
   * A draining node asked this client to move within `withinMs`: like the SDK, at a random moment
   * in it, the connection is closed and opened again on the next node (same device and lineage).
   */
  private moveWithin(client: Client, socket: ClientWire, payload: unknown): void {
    const withinMs = retryHintMs((payload as { withinMs?: unknown } | undefined)?.withinMs);
    setTimeout(
      () => {
        if (client.socket !== socket || !client.up) return;
        this.measure.counters.drainMoves += 1;
        // Measured as a reconnect: from leaving the draining node to the new presence_state.
        client.droppedAt = nowMs();
        client.up = false;
        client.socket = undefined;
        client.closing = true;
        socket.close();
        client.node = this.nextNode(client.node);
        this.open(client, 's', (ok) => {
          if (!ok) this.scheduleReconnect(client);
        });
      },
      randomMomentMs(withinMs, this.random),
    );
  }

  /** Closes the connection (or gives up a retry after a refusal). */
  /** Closes without leaving (flap): the server sees the connection drop. */
  drop(client: Client): void {
    const socket = client.socket;
    client.up = false;
    client.socket = undefined;
    client.closing = true;
    socket?.drop();
  }

  close(client: Client): void {
    const socket = client.socket;
    client.up = false;
    client.socket = undefined;
    client.closing = true;
    const retry = client.retry;
    if (retry) {
      client.retry = undefined;
      clearTimeout(retry.timer);
      retry.giveUp();
    }
    socket?.close();
  }

  private dropSilent(): void {
    const now = performance.now();
    for (const client of this.clients.values()) {
      const socket = client.socket;
      if (socket && now - socket.lastPingAt > socket.silenceLimitMs)
        socket.terminate('ping timeout');
    }
  }

  connectedIds(): number[] {
    const ids: number[] = [];
    for (const client of this.clients.values()) if (client.up) ids.push(client.id);
    return ids;
  }
}
