/**
 * The presence gateway on a socket.io namespace (`/presence`): authenticates connections, tracks
 * each one on its user's topic, subscribes it to what the friends graph lets its user see, fans
 * tracker diffs out to the sockets watching their topics, applies graph changes live and takes
 * `presence:update`s.
 */
import type { Server } from 'socket.io';
import { LINEAGE_FIELD, lineageOf, type Meta } from '../core/index.js';
import {
  type ClientToServerEvents,
  INVALID_HANDSHAKE,
  OVERLOADED,
  type OverloadedData,
  PRESENCE_NAMESPACE,
  type ServerToClientEvents,
  TOO_MANY_CONNECTIONS,
  TOO_MANY_HANDSHAKES,
  UNAUTHORIZED,
} from '../domain/client-protocol.js';
import type { PresenceSocket } from '../domain/presence-socket.js';
import { topicFor } from '../domain/topics.js';
import type { UserId } from '../domain/user-id.js';
import type { LastSeenReads } from '../last-seen/last-seen-reads.js';
import { Admission, Overloaded, type Release } from './edge/admission.js';
import { authenticateHandshake, type Handshake } from './edge/authentication.js';
import { clusterConnections } from './edge/connection-cap.js';
import { DrainWindow } from './edge/drain-window.js';
import { type ConnectionMeta, handshakeMeta } from './edge/handshake-meta.js';
import { addressKey, HandshakeRateLimit } from './edge/handshake-rate-limit.js';
import { closedForOversizeFrame } from './edge/oversize-frames.js';
import { type EngineConnection, PacketFloods } from './edge/packet-floods.js';
import type { GatewayCounts } from './gateway-counts.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';
import {
  DiffOutboxes,
  type DiffOutboxStats,
  processLoopUtilization,
} from './outbound/diff-outboxes.js';
import { rawPacketsSupported } from './outbound/diff-packet.js';
import { DiffFanOut, type PresenceNamespace } from './outbound/fan-out.js';
import { LastSeenPush } from './outbound/last-seen-push.js';
import { TopicWatchers } from './outbound/topic-watchers.js';
import type { WireRefs } from './outbound/wire-refs.js';
import { ConnectionSession } from './session/connection-session.js';
import { followGraphChanges } from './session/graph-feed.js';
import { lastSeenSettingBucket, setLastSeenVisibility } from './session/last-seen-visibility.js';
import { isExplicitLeave, LeaveGrace } from './session/leave-grace.js';
import type { SessionCollaborators, SessionOptions } from './session/session-context.js';
import { SessionRegistry } from './session/session-registry.js';
import { SubscriptionRecheck } from './session/subscription-recheck.js';

/** The connect_error message while the gateway is shutting down. */
export const UNAVAILABLE = 'unavailable';

interface SocketData {
  userId?: string;
  expiresAt?: number;
  connection?: ConnectionMeta;
  /** Frees this connection's admission slot (once its first state went out, or it closed). */
  admitted?: Release;
}

/** setTimeout's longest delay; a later expiry is re-checked when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface GatewayStats {
  /** Open connections on this node. */
  readonly connections: number;
  /** Distinct users connected to this node. */
  readonly users: number;
  /** Connections refused by authentication since start. */
  readonly refused: number;
  /** Connections being admitted now (handshake to first state). */
  readonly admitting: number;
  /** Handshakes waiting for an admission slot now. */
  readonly admissionQueue: number;
  /** Handshakes refused with `overloaded` since start. */
  readonly overloaded: number;
  /** Waiting handshakes dropped because their client went away, since start. */
  readonly abandoned: number;
  /** Handshakes refused with `draining` (the node is stopping), since start. */
  readonly drainRefused: number;
  /** Presence diff messages written and the batch window (diff-outboxes.ts). */
  readonly diffs: DiffOutboxStats;
  /** Dropped connections in their leave grace now (tracked, no socket; not in `connections`). */
  readonly graced: number;
  /** Graced entries ended by a reconnect of their user and device, since start. */
  readonly graceResumed: number;
  /** Graced entries untracked when their grace ran out, since start. */
  readonly graceExpired: number;
  /** Connections closed for going over their inbound packet budget, since start. */
  readonly packetFloods: number;
  /** Handshakes refused by the per-address rate limit, since start. */
  readonly handshakesRateLimited: number;
  /** Connections closed for sending a frame over the size limit (WebSocket), since start. */
  readonly framesTooLarge: number;
  /** Friends added or removed by the periodic subscription re-check: missed graph changes. */
  readonly subscriptionCorrections: number;
  /** Tracker entries not sent to clients because their key was not their topic's, since start. */
  readonly foreignKeyEntries: number;
}

/**
 * What the gateway is given besides its options: built by its owner (the server), which also
 * reads them (the `counts` API, the last-seen reads shared with the query) and closes them.
 */
export interface GatewayCollaborators {
  /** Friends online per session and count-only rooms, kept up to date by the gateway's sessions. */
  readonly counts: GatewayCounts;
  /** Batched reads of the last-seen store, when there is one (for `presence_last_seen`). */
  readonly lastSeenReads?: LastSeenReads;
}

export class PresenceGateway {
  readonly namespace: PresenceNamespace;
  private readonly options: ResolvedGatewayOptions;
  private readonly gatewayCounts: GatewayCounts;
  private readonly lastSeenPush: LastSeenPush | undefined;
  private readonly sessionOptions: SessionOptions;
  private readonly sessionParts: SessionCollaborators;
  private readonly sessions = new SessionRegistry();
  private readonly admission: Admission;
  private readonly outboxes: DiffOutboxes;
  private readonly fanOut: DiffFanOut;
  /** Which sockets here watch each topic (sessions keep it, the fan-out reads it). */
  private readonly watchers: TopicWatchers;
  private readonly grace: LeaveGrace;
  private readonly recheck: SubscriptionRecheck;
  private readonly detach: (() => void)[] = [];
  private readonly handshakes: HandshakeRateLimit;
  private readonly floods: PacketFloods;
  private refused = 0;
  private handshakesRateLimited = 0;
  private framesTooLarge = 0;
  private closed = false;
  /** Set by drain(): new connections are refused, and a leave of any kind is a drop (graced). */
  private readonly drainWindow: DrainWindow;

  /**
   * Sets up the `/presence` namespace of `io` (or `namespace` when given), with options resolved
   * by resolveGatewayOptions (gateway-options.ts).
   */
  constructor(
    io: Server,
    options: ResolvedGatewayOptions,
    collaborators: GatewayCollaborators,
    namespace = PRESENCE_NAMESPACE,
  ) {
    this.options = options;
    this.drainWindow = new DrainWindow(options.now);
    this.namespace = io.of(namespace) as unknown as PresenceNamespace;
    this.gatewayCounts = collaborators.counts;
    const { lastSeenReads } = collaborators;
    this.watchers = new TopicWatchers();
    this.lastSeenPush =
      lastSeenReads &&
      new LastSeenPush(
        this.watchers,
        options.replica,
        options.changes,
        lastSeenReads,
        { now: options.now },
        options.clock,
        () => this.outboxes.windowMs,
      );
    this.admission = new Admission(this.options.admission, () => this.options.clock.now());
    this.outboxes = new DiffOutboxes(
      this.namespace.name,
      this.options.minBatchDelayMs,
      this.options.maxBatchDelayMs,
      rawPacketsSupported(io, this.namespace.name),
      this.options.clock,
      processLoopUtilization(),
      () => this.admission.stats().queued,
    );
    this.fanOut = new DiffFanOut(
      this.options.changes,
      this.options.stateFragments,
      this.watchers,
      this.outboxes,
      this.options.logger,
      this.options.wireRefs,
      this.options.fanOutSliceMs,
      this.options.clock,
    );
    const { replica, changes, graph, leaveGraceMs, leaveGraceClock, logger, now, wireRefs } =
      this.options;
    const { graphTimeoutMs, graphRetry, rateLimit } = this.options;
    this.sessionOptions = { graphTimeoutMs, graphRetry, rateLimit };
    this.sessionParts = {
      replica,
      graph,
      logger,
      now,
      clock: this.options.clock,
      wireRefs,
      stateFragments: this.options.stateFragments,
      outboxes: this.outboxes,
      fanOut: this.fanOut,
      watchers: this.watchers,
      friendsOnline: this.gatewayCounts.friendsOnline,
      lastSeenPush: this.lastSeenPush,
    };
    this.grace = new LeaveGrace(replica, changes, leaveGraceMs, leaveGraceClock, logger);
    this.handshakes = new HandshakeRateLimit(this.options.handshakeRateLimit);
    this.floods = new PacketFloods(this.options.inboundBudget, this.options.now, logger);
    // Every engine connection is budgeted from its first packet (io.engine exists once the
    // server is attached; a later one is budgeted at its first `/presence` handshake).
    const engine = (io as { engine?: Server['engine'] }).engine;
    if (engine !== undefined) {
      const onEngineConnection = (conn: EngineConnection) => this.floods.watch(conn);
      engine.on('connection', onEngineConnection);
      this.detach.push(() => engine.off('connection', onEngineConnection));
    }
    this.recheck = new SubscriptionRecheck(
      () => this.sessions.all(),
      this.options.subscriptionRecheck,
      logger,
    );
    this.namespace.use((socket, next) => {
      this.enter(socket as PresenceSocket).then(
        () => next(),
        (error: Error) => next(error),
      );
    });
    const onConnection = (socket: PresenceSocket) => this.connected(socket);
    this.namespace.on('connection', onConnection);
    this.detach.push(
      () => this.namespace.off('connection', onConnection),
      () => this.fanOut.close(),
      () => this.outboxes.close(),
      followGraphChanges(this.options.graph, this.sessions, this.options.logger),
      () => this.recheck.close(),
      () => this.lastSeenPush?.close(),
    );
  }

  /** How presences are named on the wire (opaque `phx_ref`s, see wire-refs.ts). */
  get wireRefs(): WireRefs {
    return this.options.wireRefs;
  }

  stats(): GatewayStats {
    const admission = this.admission.stats();
    const grace = this.grace.stats();
    return {
      connections: this.sessions.size,
      users: this.sessions.userCount,
      refused: this.refused,
      admitting: admission.admitting,
      admissionQueue: admission.queued,
      overloaded: admission.refused,
      abandoned: admission.abandoned,
      drainRefused: this.drainWindow.refused,
      diffs: this.outboxes.stats(),
      graced: grace.graced,
      graceResumed: grace.resumed,
      graceExpired: grace.expired,
      packetFloods: this.floods.closed,
      handshakesRateLimited: this.handshakesRateLimited,
      framesTooLarge: this.framesTooLarge,
      subscriptionCorrections: this.recheck.stats().corrections,
      foreignKeyEntries: this.fanOut.foreignKeyEntries,
    };
  }

  /** True once {@link drain} was called (a close then hands what is left to the crash grace). */
  get isDraining(): boolean {
    return this.drainWindow.isDraining;
  }

  /**
   * Starts a drain (the node is stopping, its clients move to other nodes): new connections are
   * refused with `draining` and a retry hint, each connected client is told to reconnect at a
   * random moment within `withinMs` (`presence_drain`: the client picks the moment, so the moves
   * spread over the window), and from now on every leave of a visible connection, explicit or
   * not, keeps its entry in the leave grace: it leaves the cluster only if its device is not back
   * on another node within the grace. Idempotent (a second call changes nothing).
   */
  drain(withinMs: number): void {
    if (this.closed || !this.drainWindow.begin(withinMs)) return;
    this.grace.keepUntilClose();
    const payload = this.drainWindow.instruction();
    for (const session of this.sessions.all()) session.socket.emit('presence_drain', payload);
  }

  /**
   * The end of the drain window: the connections still open (clients that ignored the
   * instruction) are cut as a network loss would, so their clients reconnect with their backoff
   * and their entries stay in the leave grace meanwhile.
   */
  cutDrained(): void {
    if (this.closed || !this.drainWindow.isDraining) return;
    for (const session of this.sessions.all()) session.socket.conn.close();
  }

  /** The open sockets of `userId` on this node, invisible ones included (for delivery). */
  socketsOf(userId: string): PresenceSocket[] {
    return this.sessions.ofUser(userId).map((session) => session.socket);
  }

  /**
   * Refuses new connections, disconnects this gateway's sockets (untracking them, and the
   * connections in their leave grace: all leave at once; after a drain they are left tracked
   * instead) and stops listening to the tracker and the graph. The replica, graph and server are
   * their owners' to stop. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.sessions.all()) session.socket.disconnect(true);
    // After a drain, what is left (devices not back elsewhere yet) stays tracked: the server stops
    // the replica unannounced, so the other nodes hold it for their crash grace.
    this.grace.close(!this.drainWindow.isDraining);
    for (const stop of this.detach.splice(0)) stop();
  }

  /**
   * Waits for an admission slot (or is refused with `overloaded`), then admits. The slot is held
   * until the connection's first state went out (or it failed, or closed): see connected().
   */
  private async enter(socket: PresenceSocket): Promise<void> {
    if (this.closed) throw new Error(UNAVAILABLE);
    // Before any other work: a draining node serves only the connections it has.
    if (this.drainWindow.isDraining) {
      throw this.drainWindow.refusal(this.admission.retryHint());
    }
    this.floods.watchSocket(socket);
    this.limitHandshakes(socket);
    let release: Release | undefined;
    try {
      release = await this.admission.enter(() => !this.closed && socket.conn.readyState === 'open');
    } catch (error) {
      if (!(error instanceof Overloaded)) throw error;
      const { admitting, queued } = this.admission.stats();
      this.options.logger.debug({ admitting, queued }, 'connection refused: overloaded');
      const refusal = new Error(OVERLOADED) as Error & { data?: OverloadedData };
      refusal.data = { retryAfterMs: error.retryAfterMs };
      throw refusal;
    }
    // The client went away while it waited (or the gateway closed): nothing to admit.
    if (release === undefined) throw new Error(this.closed ? UNAVAILABLE : OVERLOADED);
    // socket.io drops a socket whose client closed during the middleware without a
    // 'connection' event: the slot must come back then too.
    socket.conn.once('close', release);
    try {
      await this.admit(socket);
    } catch (error) {
      release();
      throw error;
    }
    (socket.data as SocketData).admitted = release;
  }

  /** Refuses the handshake when its address made too many lately (before any other work). */
  private limitHandshakes(socket: PresenceSocket): void {
    const { handshakeRateLimit, logger, now } = this.options;
    const key = addressKey(socket.handshake, handshakeRateLimit.trustForwardedFor);
    if (this.handshakes.take(key, now())) return;
    this.handshakesRateLimited++;
    logger.debug({ address: key }, 'connection refused: too many handshakes from this address');
    const refusal = new Error(TOO_MANY_HANDSHAKES) as Error & { data?: OverloadedData };
    refusal.data = { retryAfterMs: Math.ceil(1000 / handshakeRateLimit.perSecond) };
    throw refusal;
  }

  private async admit(socket: PresenceSocket): Promise<void> {
    if (this.closed) throw new Error(UNAVAILABLE);
    const { authenticate, logger, now } = this.options;
    let userId: string;
    let expiresAt: number | undefined;
    try {
      ({ userId, expiresAt } = await authenticateHandshake(
        authenticate,
        socket.handshake as Handshake,
        logger,
      ));
    } catch {
      // Whatever went wrong, the client learns only `unauthorized` (the reason is logged).
      this.refused++;
      throw new Error(UNAUTHORIZED);
    }
    if (this.connectionsOf(userId) >= this.options.maxConnectionsPerUser) {
      // Checked again on connection: handshakes in flight together may pass this one together.
      logger.warn({ user: userId }, 'connection refused: too many connections for this user');
      throw new Error(TOO_MANY_CONNECTIONS);
    }
    const meta = handshakeMeta(socket.handshake.auth, now());
    if (!meta.ok) {
      logger.debug({ user: userId, reason: meta.message }, 'connection refused: bad handshake');
      const error = new Error(INVALID_HANDSHAKE) as Error & { data?: unknown };
      error.data = { message: meta.message };
      throw error;
    }
    const data = socket.data as SocketData;
    data.userId = userId;
    if (expiresAt !== undefined) data.expiresAt = expiresAt;
    data.connection = meta.value;
  }

  /** The user's connections: on this node, or in the cluster as the replica knows it. */
  private connectionsOf(userId: string): number {
    return Math.max(
      this.sessions.ofUserCount(userId),
      clusterConnections(this.options.replica, userId, (conn) => this.grace.isGraced(conn)),
    );
  }

  private connected(socket: PresenceSocket): void {
    const data = socket.data as SocketData;
    const admitted = data.admitted;
    data.admitted = undefined;
    if (this.closed || data.userId === undefined || data.connection === undefined) {
      admitted?.();
      socket.disconnect(true);
      return;
    }
    if (this.connectionsOf(data.userId) >= this.options.maxConnectionsPerUser) {
      admitted?.();
      socket.disconnect(true);
      return;
    }
    const { invisible } = data.connection;
    const meta = this.withLineage(data.userId, data.connection);
    const device = meta['device'];
    const session = new ConnectionSession(
      {
        userId: data.userId,
        socket,
        meta,
        invisible,
        countRooms: this.gatewayCounts.connected(socket, data.userId, invisible),
        // A visible reconnect takes over its device's graced entry here, if any (leave-grace.ts).
        takenOver: invisible ? undefined : this.grace.claim(data.userId, device),
      },
      this.sessionOptions,
      this.sessionParts,
    );
    this.sessions.add(session);
    this.floods.filter(socket);
    socket.conn.on('close', (reason: string, description: unknown) => {
      if (!closedForOversizeFrame(reason, description)) return;
      this.framesTooLarge++;
      this.options.logger.warn(
        { user: session.userId },
        'connection closed: it sent a frame over the size limit (maxHttpBufferSize)',
      );
    });
    socket.on('presence:update', (...args: unknown[]) => {
      try {
        session.update(args);
      } catch (err) {
        this.options.logger.error({ err, user: session.userId }, 'presence:update failed');
      }
    });
    const settingWrites = lastSeenSettingBucket(this.options.now());
    socket.on('presence:last_seen_visibility', (...args: unknown[]) => {
      const { lastSeen, logger, now } = this.options;
      setLastSeenVisibility(lastSeen, session.userId, args, logger, {
        bucket: settingWrites,
        now: now(),
      });
    });
    const expiry = this.closeAtExpiry(socket, data.expiresAt);
    socket.on('disconnect', (reason) => {
      if (expiry !== undefined) this.options.clock.clearTimeout(expiry);
      this.sessions.remove(session);
      this.outboxes.drop(socket.id);
      // A drop keeps the entry for the leave grace; an explicit leave untracks it at once, except
      // while draining: the client leaves because it was asked to move, and comes back elsewhere.
      const graced =
        !this.closed &&
        (this.drainWindow.isDraining || !isExplicitLeave(reason)) &&
        this.grace.hold(session.userId, session.conn);
      // Closing after a drain: the entry is left for the cluster's crash grace (see close()).
      session.close(!graced && !(this.closed && this.drainWindow.isDraining));
    });
    session.start(admitted);
    // Admitted while the drain began: told too, within what is left of the window.
    if (this.drainWindow.isDraining) socket.emit('presence_drain', this.drainWindow.instruction());
    // Tracked first, then any other dropped connection of this device ends: never zero metas.
    this.grace.supersede(data.userId, device);
  }

  /**
   * The connection's meta with its device's lineage (`phx_lineage`: the id every node derives
   * from the user, the device and the client's lineage; and when this connection started), when
   * the client sent one. If the device's entry is still shown on the same topic (held after a
   * crash, in its leave grace, or a duplicate connection), the new one keeps its `online_at`, so
   * an unchanged status makes an unchanged meta (the same `phx_ref`: friends are sent nothing), and
   * starts after it, so it outranks it on every node (src/core/presence-state.ts).
   */
  private withLineage(userId: UserId, connection: ConnectionMeta): Meta {
    const { meta, invisible, lineage } = connection;
    if (lineage === undefined) return meta;
    const device = meta['device'];
    const id = this.options.wireRefs.lineageId(
      userId,
      typeof device === 'string' ? device : undefined,
      lineage,
    );
    const topic = topicFor(userId, invisible);
    let since = this.options.now();
    let onlineAt = meta['online_at'];
    for (const shown of this.options.replica.view.get(topic, userId)) {
      const other = lineageOf(shown.meta);
      if (other?.id !== id) continue;
      since = Math.max(since, other.since + 1);
      onlineAt = shown.meta['online_at'] ?? onlineAt;
    }
    return { ...meta, online_at: onlineAt, [LINEAGE_FIELD]: [id, since] };
  }

  /** Credentials are checked at connect; this keeps an expired token from staying connected. */
  private closeAtExpiry(socket: PresenceSocket, expiresAt: number | undefined): unknown {
    if (expiresAt === undefined) return undefined;
    const remaining = expiresAt - this.options.now();
    return this.options.clock.setTimeout(
      () => {
        if (expiresAt > this.options.now()) {
          this.closeAtExpiry(socket, expiresAt);
          return;
        }
        socket.emit('presence_error', {
          code: 'token_expired',
          message: 'the connection token expired: reconnect with a fresh token',
        });
        socket.disconnect(true);
      },
      Math.min(Math.max(0, remaining), MAX_TIMER_MS),
    );
  }
}

export type { ClientToServerEvents, ServerToClientEvents };
