/**
 * `createPresenceServer(options)`: the presence service as a library. Attaches the `/presence`
 * gateway to an app's socket.io server or HTTP server (or creates its own HTTP server), starts a
 * tracker replica on the given replication transport (in-memory, single node, by default) and
 * returns handles to all of it plus `close()`.
 *
 * ```ts
 * const presence = await createPresenceServer({ httpServer, graph, jwtSecret });
 * // ...
 * await presence.close();
 * ```
 */
import { createServer, Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { type ServerOptions as SocketIoOptions, Server as SocketIoServer } from 'socket.io';
import { ChangeRouter } from '../change-router/change-router.js';
import type { ChangeRoutes } from '../change-router/change-routes.js';
import type { PresenceCounts } from '../counts/presence-counts.js';
import type { CountRoomOptions } from '../counts/room-options.js';
import type { Deliverer } from '../delivery/deliverer.js';
import type { DeliveryServerOptions } from '../delivery/delivery-types.js';
import { type Deliver, setUpDelivery } from '../delivery/server-delivery.js';
import { PRESENCE_NAMESPACE } from '../domain/client-protocol.js';
import { USER_TOPIC_PREFIX } from '../domain/topics.js';
import { InvalidOptionError } from '../errors.js';
import type { AdmissionOptions } from '../gateway/edge/admission.js';
import type { Authenticate } from '../gateway/edge/authentication.js';
import type { HandshakeRateLimitOptions } from '../gateway/edge/handshake-rate-limit.js';
import type { InboundBudgetOptions } from '../gateway/edge/inbound-budget.js';
import type { JwtPolicy } from '../gateway/edge/jwt-policy.js';
import { refuseMainNamespace } from '../gateway/edge/main-namespace.js';
import type { RateLimitOptions } from '../gateway/edge/token-bucket.js';
import { GatewayCounts } from '../gateway/gateway-counts.js';
import { resolveGatewayOptions } from '../gateway/gateway-options.js';
import type { PresenceNamespace } from '../gateway/outbound/fan-out.js';
import { PresenceGateway } from '../gateway/presence-gateway.js';
import type { GraphRetryOptions } from '../gateway/session/retry-backoff.js';
import type { SubscriptionRecheckOptions } from '../gateway/session/subscription-recheck.js';
import { type LastSeenReadStats, LastSeenReads } from '../last-seen/last-seen-reads.js';
import type { LastSeenRecorderStats } from '../last-seen/last-seen-recorder.js';
import type { BusChannel, ReplicationTransport } from '../ports/bus-channel.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { FriendsGraph } from '../ports/friends-graph.js';
import type { LastSeenStore } from '../ports/last-seen-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { NodeBus } from '../ports/node-bus.js';
import { PresenceQuery, type QueryPresence } from '../query/presence-query.js';
import type { ReplicaTimingOptions } from '../runtime/replica-options.js';
import { TrackerReplica } from '../runtime/tracker-replica.js';
import { createInMemoryBus } from '../transports/in-memory-bus.js';
import { assertValidReplicaId } from '../transports/replica-id.js';
import { BackendPresence, checkBackendPresenceOptions } from '../user-online/backend-presence.js';
import type { UserOnlineFeed } from '../user-online/user-online-feed.js';
import type { WebhookOptions } from '../webhooks/webhook-options.js';
import type { WebhookSender } from '../webhooks/webhook-sender.js';

/** The largest client frame a socket.io server created here accepts. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

export interface PresenceServerOptions {
  /**
   * An existing socket.io server to add the `/presence` namespace to. Give at most one of `io`
   * and `httpServer`; with neither, an HTTP server is created (not listening: call
   * `httpServer.listen(...)`).
   */
  readonly io?: SocketIoServer;
  /** An existing HTTP server to attach a new socket.io server to. */
  readonly httpServer?: HttpServer;
  /**
   * Options of the socket.io server created here (ignored with `io`).
   * @default `{ maxHttpBufferSize: 65536 }`: presence frames are small, so is the largest accepted
   */
  readonly socketIo?: Partial<SocketIoOptions>;
  /** Whose presence each user may see: an adapter from `graph-adapters/`. Not closed by close(). */
  readonly graph: FriendsGraph;
  /**
   * The node bus between the nodes of a cluster (createRedisNodeBus, with a `clusterSecret` so
   * its frames are authenticated): replication and `deliver` use its channels. Its `selfId` is
   * this node's name. Not closed by close(). Give either `bus` or `transport`.
   * @default none: one node, no replication
   */
  readonly bus?: NodeBus;
  /**
   * The lower-level form of `bus`: the tracker's channel alone (e.g. `bus.channel('tracker')`, or
   * a member of an in-memory bus in tests); its `selfId` is this node's name. Not closed by close().
   * @default an in-memory transport: one node, no replication
   */
  readonly transport?: ReplicationTransport;
  /**
   * With `transport`: the channel of `deliver` between nodes, another bus channel with this node's
   * name (e.g. `bus.channel('delivery')`), never `transport` itself. Not closed by close().
   * Needed with `transport`: without it `deliver` rejects. @default none: one node, local delivery
   */
  readonly deliveryTransport?: BusChannel;
  /** `deliver`'s fallback hook (e.g. a push notification) and default timeout. */
  readonly delivery?: DeliveryServerOptions;
  /**
   * This replica's name, unique in the cluster. Must equal `transport.selfId` when both are given.
   * @default transport.selfId, or `<hostname>-<pid>`
   */
  readonly nodeName?: string;
  /**
   * HS256 secret of client tokens (`sub` = user id), at least 32 bytes. Give this or
   * `authenticate`.
   */
  readonly jwtSecret?: string | Uint8Array;
  /**
   * What tokens must carry: `exp` (required by default), a lifetime of at most `maxAgeS` (default
   * a day), and `aud`/`iss` when `audience`/`issuer` are given. Only with `jwtSecret`.
   */
  readonly jwtPolicy?: JwtPolicy;
  /** The app's own authentication of a handshake. Give this or `jwtSecret`. */
  readonly authenticate?: Authenticate;
  /** Tracker timing (broadcast, down and permdown periods...). @default Phoenix's */
  readonly timing?: ReplicaTimingOptions;
  /** Rate limit of `presence:update` per connection. @default 10/s, burst 20 */
  readonly rateLimit?: RateLimitOptions;
  /** How long a friends-graph lookup may take. @default 5000 (ms) */
  readonly graphTimeoutMs?: number;
  /** Open connections one user may have in the cluster. @default 100 */
  readonly maxConnectionsPerUser?: number;
  /** Backoff of a connection whose graph lookup failed. @default 250 ms doubling to 30 s */
  readonly graphRetry?: GraphRetryOptions;
  /** A pino-compatible logger. @default silent */
  readonly logger?: Logger;
  /** Count-only rooms: `maxRoomsPerConnection` (16), `authorizeRoom(userId, room)`. */
  readonly rooms?: CountRoomOptions;
  /**
   * Admission control of new connections (a reconnect storm is served at the node's pace; beyond
   * the queue, handshakes are refused with `overloaded` and a retry hint).
   * @default { concurrency: 64, queue: 1024, retryAfterMs: 1000 }
   */
  readonly admission?: AdmissionOptions;
  /**
   * The longest a socket's diffs wait to be merged into one message under load; at low load they
   * go out at once. @default 500 (ms)
   */
  readonly maxBatchDelayMs?: number;
  /** The shortest wait, whatever the load (at most `maxBatchDelayMs`). @default 0 */
  readonly minBatchDelayMs?: number;
  /** How long one turn may spend handing a big change to sockets before it yields. @default 8 */
  readonly fanOutSliceMs?: number;
  /**
   * How long a connection that dropped without an explicit leave stays visible: a reconnect of
   * the same user and device within it, on any node, is no leave and no join for friends (at
   * most a meta change). 0: a drop leaves at once. @default 5000 (ms)
   */
  readonly leaveGraceMs?: number;
  /** The leave grace's clock and timers (tests drive them). @default the system's */
  readonly leaveGraceClock?: Clock & Timers;
  /** Packets per connection, any event; over it, closed. @default { perSecond: 50, burst: 200 } */
  readonly inboundBudget?: InboundBudgetOptions;
  /** Handshakes per remote address, before authentication. @default { perSecond: 20, burst: 100 } */
  readonly handshakeRateLimit?: HandshakeRateLimitOptions;
  /** The secret of opaque `phx_ref`s, shared by every node. @default `jwtSecret` */
  readonly refSecret?: string | Uint8Array;
  /**
   * Re-checks each connection's friends against the graph once per `intervalMs`, so a missed
   * graph change cannot last. @default { intervalMs: 600000 (0: off), maxLookupsPerSecond: 50 }
   */
  readonly subscriptionRecheck?: SubscriptionRecheckOptions;
  /**
   * Where users' last seen and its visibility are kept (src/ports/last-seen-store.ts): a
   * MemoryLastSeenStore for one node, a Redis or PostgreSQL store shared by a cluster. Kept as
   * `lastSeenStore`. The node that owns a user records their last seen when they go offline;
   * friends get it (`presence_last_seen`) and the query answers it. Never closed by the server.
   * @default none: last seen is unknown (null)
   */
  readonly lastSeen?: LastSeenStore;
  /**
   * Online/offline webhooks: a signed POST of `user.online` / `user.offline` to `url` for each
   * transition, sent by exactly one node (docs/webhooks.md). @default none
   */
  readonly webhooks?: WebhookOptions;
  /**
   * How long a user with no visible device stays online for the backend (webhooks, last seen):
   * a device move or reconnect within it is no transition. @default 5000 (ms)
   */
  readonly offlineDelayMs?: number;
  /** How long a started node waits before it owns users' transitions. @default 30000 (ms) */
  readonly ownerWarmUpMs?: number;
}

export interface PresenceServer {
  /** The socket.io server (given or created). */
  readonly io: SocketIoServer;
  /** The HTTP server, when one was given or created (not when only `io` was given). */
  readonly httpServer: HttpServer | undefined;
  /** This node's tracker replica (started). */
  readonly replica: TrackerReplica;
  /**
   * The one path of the replica's changes (src/change-router/): a consumer added here, e.g. the
   * CLI's metrics, gets each change grouped by topic in its slot's turn.
   */
  readonly changes: ChangeRoutes;
  readonly gateway: PresenceGateway;
  /** Counts: `online()`, `topic(topic)`, `friendsOnline(userId)`, `room(room)`. */
  readonly counts: PresenceCounts;
  /**
   * The presence of up to 1,000 users (`online`, `status`, `devices`, `lastSeen`), read from this
   * node's replica: the backend's view, or with `{ as: viewer }` exactly what that viewer's client
   * sees. Rejects with InvalidQueryError on bad arguments, GraphProviderError when `as` needs the
   * graph and it does not answer. See src/query/presence-query.ts.
   */
  readonly query: QueryPresence;
  /**
   * Sends `event` and `payload` to every live connection of `userId` in the cluster; resolves
   * `{ delivered: true, id, connections }` on a client ack (the first, or all with
   * `{ ack: 'all' }`), else after `timeoutMs` hands it to `delivery.onUndelivered` and resolves
   * `{ delivered: false, id, reason, fallback }`. Rejects only on bad arguments
   * (InvalidDeliveryError) or a cluster without `deliveryTransport`.
   */
  readonly deliver: Deliver;
  /** The delivery service (stats, settled listeners); undefined when `deliver` cannot work. */
  readonly delivery: Deliverer | undefined;
  /** The `lastSeen` store given in the options, if any (left open by `close`). */
  readonly lastSeenStore: LastSeenStore | undefined;
  /** Users' online/offline transitions as this node sees them, and which it owns. */
  readonly online: UserOnlineFeed;
  /** The webhook sender (stats, warning), when `webhooks` was given. */
  readonly webhooks: WebhookSender | undefined;
  /** The last-seen store's reads and writes by this node (for metrics), with a store. */
  readonly lastSeenStats:
    | { readonly reads: LastSeenReadStats; readonly writes: LastSeenRecorderStats }
    | undefined;
  /**
   * Shuts down: hands pending deliveries to the fallback, refuses new connections, disconnects the gateway's sockets, stops the replica
   * announcing the leave (its presences leave the cluster at once), then closes what was created
   * here: the in-memory transport, the socket.io server and the HTTP server. A given `io`,
   * `httpServer`, `transport` and the graph stay open. Idempotent.
   */
  close(): Promise<void>;
}

export function createPresenceServer(options: PresenceServerOptions): PresenceServer {
  if (!options || typeof options !== 'object') {
    throw new InvalidOptionError('createPresenceServer: options must be an object');
  }
  if (options.io !== undefined && options.httpServer !== undefined) {
    throw new InvalidOptionError(
      'createPresenceServer: give either io or httpServer, not both (io is already attached to its server)',
    );
  }
  if (options.io !== undefined && !(options.io instanceof SocketIoServer)) {
    throw new InvalidOptionError('createPresenceServer: io must be a socket.io Server');
  }
  if (options.httpServer !== undefined && !(options.httpServer instanceof HttpServer)) {
    throw new InvalidOptionError('createPresenceServer: httpServer must be a node:http Server');
  }
  checkBackendPresenceOptions(options, 'createPresenceServer');
  const channels = busChannels(options);
  const nodeName = resolveNodeName({ ...options, ...channels });
  const ownTransport = channels.transport === undefined;
  const transport = channels.transport ?? createInMemoryBus().createTransport(nodeName);
  const logger = options.logger ?? silentLogger;
  const replica = new TrackerReplica({
    ...options.timing,
    name: nodeName,
    transport,
    logger,
    countedTopicPrefixes: [USER_TOPIC_PREFIX],
  });
  // Every change of the replica goes through this router, to its consumers in their order.
  const changes = new ChangeRouter(replica, logger);

  const ownHttp = options.io === undefined && options.httpServer === undefined;
  const httpServer = options.httpServer ?? (ownHttp ? createServer() : undefined);
  const ownIo = options.io === undefined;
  const io =
    options.io ??
    new SocketIoServer(httpServer, {
      maxHttpBufferSize: DEFAULT_MAX_FRAME_BYTES,
      ...options.socketIo,
    });

  let gateway: PresenceGateway | undefined;
  let counts: GatewayCounts | undefined;
  let lastSeenReads: LastSeenReads | undefined;
  let query: PresenceQuery;
  let delivery: ReturnType<typeof setUpDelivery>;
  try {
    const gatewayOptions = resolveGatewayOptions({
      replica,
      changes,
      graph: options.graph,
      jwtSecret: options.jwtSecret,
      jwtPolicy: options.jwtPolicy,
      authenticate: options.authenticate,
      rateLimit: options.rateLimit,
      graphTimeoutMs: options.graphTimeoutMs,
      graphRetry: options.graphRetry,
      maxConnectionsPerUser: options.maxConnectionsPerUser,
      logger,
      rooms: options.rooms,
      admission: options.admission,
      maxBatchDelayMs: options.maxBatchDelayMs,
      minBatchDelayMs: options.minBatchDelayMs,
      fanOutSliceMs: options.fanOutSliceMs,
      leaveGraceMs: options.leaveGraceMs,
      leaveGraceClock: options.leaveGraceClock,
      inboundBudget: options.inboundBudget,
      handshakeRateLimit: options.handshakeRateLimit,
      refSecret: options.refSecret,
      subscriptionRecheck: options.subscriptionRecheck,
      lastSeen: options.lastSeen,
    });
    // What the gateway keeps up to date and the server reads: counts, the last-seen reads (shared
    // by the gateway's `presence_last_seen` and the query).
    lastSeenReads = gatewayOptions.lastSeen && new LastSeenReads(gatewayOptions.lastSeen, logger);
    const namespace = io.of(PRESENCE_NAMESPACE) as unknown as PresenceNamespace;
    counts = new GatewayCounts(namespace, gatewayOptions, options.rooms);
    gateway = new PresenceGateway(io, gatewayOptions, { counts, lastSeenReads });
    query = new PresenceQuery({
      state: replica.view,
      graph: gatewayOptions.graph,
      graphTimeoutMs: gatewayOptions.graphTimeoutMs,
      lastSeen: lastSeenReads,
    });
    // A socket.io server of its own serves only `/presence`; an app's `io` keeps its `/`.
    if (ownIo) refuseMainNamespace(io);
    delivery = setUpDelivery({ ...options, ...channels, replica, changes, gateway, logger });
  } catch (error) {
    gateway?.close();
    counts?.close();
    changes.close();
    if (ownIo) io.close();
    if (ownTransport) void transport.close();
    throw error;
  }
  // Watching before the replica starts: no transition is missed.
  const backend = new BackendPresence(replica, changes, options, logger);
  replica.start();
  logger.info({ node: nodeName, namespace: PRESENCE_NAMESPACE }, 'presence gateway ready');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Pending deliveries go to the fallback before their sockets are disconnected.
      const deliveriesClosed = delivery.deliverer?.close();
      gateway.close();
      // The counts publish their last room counts and stop following the tracker.
      counts.close();
      backend.stop(replica.health.counts().up === 0);
      replica.stop({ announce: true });
      changes.close();
      await backend.close();
      if (ownTransport) await transport.close();
      if (ownIo) {
        if (ownHttp) await new Promise<void>((resolve) => io.close(() => resolve()));
        // Leave the app's HTTP server running: only drop the engine's connections.
        else io.engine.close();
      }
      await deliveriesClosed;
      logger.info({ node: nodeName }, 'presence server closed');
    })();
    return closing;
  };

  const { deliver, deliverer } = delivery;
  return {
    io,
    httpServer: httpServer ?? undefined,
    replica,
    changes,
    gateway,
    deliver,
    delivery: deliverer,
    counts: counts.counts,
    query: query.query,
    lastSeenStore: options.lastSeen,
    online: backend.online,
    webhooks: backend.webhooks,
    lastSeenStats:
      backend.lastSeenWrites && lastSeenReads
        ? { reads: lastSeenReads.stats, writes: backend.lastSeenWrites }
        : undefined,
    close,
  };
}

/** The bus's tracker and delivery channels, or the transports given instead. */
function busChannels(options: PresenceServerOptions): {
  transport: ReplicationTransport | undefined;
  deliveryTransport: BusChannel | undefined;
} {
  const { bus } = options;
  if (bus === undefined) {
    return { transport: options.transport, deliveryTransport: options.deliveryTransport };
  }
  if (typeof bus !== 'object' || bus === null || typeof bus.channel !== 'function') {
    throw new InvalidOptionError(
      'createPresenceServer: bus must be a NodeBus (createRedisNodeBus or createInMemoryBus().createNodeBus)',
    );
  }
  if (options.transport !== undefined || options.deliveryTransport !== undefined) {
    throw new InvalidOptionError(
      'createPresenceServer: give either bus or transport/deliveryTransport, not both (the bus carries both)',
    );
  }
  return { transport: bus.channel('tracker'), deliveryTransport: bus.channel('delivery') };
}

function resolveNodeName(options: PresenceServerOptions): string {
  const { nodeName, transport } = options;
  if (nodeName !== undefined && typeof nodeName !== 'string') {
    throw new InvalidOptionError('createPresenceServer: nodeName must be a string');
  }
  if (transport !== undefined && nodeName !== undefined && transport.selfId !== nodeName) {
    throw new InvalidOptionError(
      `createPresenceServer: nodeName "${nodeName}" differs from transport.selfId "${transport.selfId}"; create the transport with the node name or omit nodeName`,
    );
  }
  const name = nodeName ?? transport?.selfId ?? `${hostname()}-${process.pid}`;
  assertValidReplicaId(name, 'createPresenceServer: nodeName');
  return name;
}
