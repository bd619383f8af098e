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
import type { Registry } from 'prom-client';
import { type ServerOptions as SocketIoOptions, Server as SocketIoServer } from 'socket.io';
import { ChangeRouter } from '../change-router/change-router.js';
import type { ChangeRoutes } from '../change-router/change-routes.js';
import type { PresenceCounts } from '../counts/presence-counts.js';
import type { Deliverer } from '../delivery/deliverer.js';
import type { DeliveryServerOptions } from '../delivery/delivery-types.js';
import { type Deliver, setUpDelivery } from '../delivery/server-delivery.js';
import { PRESENCE_NAMESPACE } from '../domain/client-protocol.js';
import { USER_TOPIC_PREFIX } from '../domain/topics.js';
import { InvalidOptionError } from '../errors.js';
import { refuseMainNamespace } from '../gateway/edge/main-namespace.js';
import { GatewayCounts } from '../gateway/gateway-counts.js';
import type { PresenceGatewayOptions } from '../gateway/gateway-options.js';
import { resolveGatewayOptions } from '../gateway/gateway-options.js';
import type { PresenceNamespace } from '../gateway/outbound/fan-out.js';
import { PresenceGateway } from '../gateway/presence-gateway.js';
import type { PresenceMetrics } from '../http/metrics.js';
import { type LastSeenReadStats, LastSeenReads } from '../last-seen/last-seen-reads.js';
import type { LastSeenRecorderStats } from '../last-seen/last-seen-recorder.js';
import { MemoryLastSeenStore } from '../last-seen/memory-last-seen-store.js';
import { MAX_TIMER_MS } from '../options/option-spec.js';
import { timingProblems } from '../options/timing.js';
import type { BusChannel, ReplicationTransport } from '../ports/bus-channel.js';
import { systemServerClock } from '../ports/clock.js';
import type { LastSeenStore } from '../ports/last-seen-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { NodeBus } from '../ports/node-bus.js';
import { PresenceQuery, type QueryPresence } from '../query/presence-query.js';
import type { ReplicaTimingOptions } from '../runtime/replica-options.js';
import { TrackerReplica } from '../runtime/tracker-replica.js';
import { createInMemoryBus } from '../transports/in-memory-bus.js';
import { assertValidReplicaId } from '../transports/replica-id.js';
import {
  BackendPresence,
  type BackendPresenceOptions,
  checkBackendPresenceOptions,
} from '../user-online/backend-presence.js';
import type { UserOnlineFeed } from '../user-online/user-online-feed.js';
import type { WebhookSender } from '../webhooks/webhook-sender.js';
import { drainGateway } from './drain.js';
import { GraphProbe } from './graph-probe.js';
import { createNodeMetrics } from './node-metrics.js';
import {
  type PresenceHttpHandler,
  type PresenceHttpOptions,
  presenceHttp,
} from './presence-http.js';
import { type Readiness, readinessOf } from './readiness.js';

/** The largest client frame a socket.io server created here accepts. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/**
 * The server's options. Those of the gateway (graph, authentication, limits, leave grace, batching,
 * `clock`...) are PresenceGatewayOptions' (src/gateway/gateway-options.ts), those of the backend's
 * side (webhooks, offlineDelayMs, ownerWarmUpMs) BackendPresenceOptions'
 * (src/user-online/backend-presence.ts); their numeric ones are declared in src/options/. The graph,
 * a `lastSeen` store (kept as `lastSeenStore`) and the transports are never closed by close().
 */
export interface PresenceServerOptions
  extends Omit<PresenceGatewayOptions, 'replica' | 'now' | 'changes' | 'lastSeen'>,
    Omit<BackendPresenceOptions, 'lastSeen'> {
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
  /** Tracker timing (broadcast, down and permdown periods...). @default Phoenix's */
  readonly timing?: ReplicaTimingOptions;
  /**
   * Where users' last seen and its visibility are kept (src/ports/last-seen-store.ts): a
   * MemoryLastSeenStore for one node, a Redis or PostgreSQL store shared by a cluster. Kept as
   * `lastSeenStore`. The node that owns a user records their last seen when they go offline;
   * friends get it (`presence_last_seen`) and the query answers it. A given store is never closed
   * by the server. `false`: no last seen (always null).
   * @default a MemoryLastSeenStore of this node (closed by close()), as the CLI without --redis;
   * with a bus or transport (a cluster) a warning is logged, since nodes would disagree
   */
  readonly lastSeen?: LastSeenStore | false;
  /**
   * The graph change relay given to the graph adapter (createTransportGraphChangeRelay from
   * graph-presence/graph-adapters/graphology), so the metrics count the frames it dropped as
   * invalid (`presence_transport_frames_dropped_total{reason="invalid_graph_change"}`).
   */
  readonly graphRelay?: { readonly droppedFrames: number };
  /**
   * Readiness's check of the friends graph (`/readyz`, `readiness()`): how often, and how long one
   * may take. @default { graphCheckIntervalMs: 5000, graphCheckTimeoutMs: 2000 }
   */
  readonly readiness?: {
    readonly graphCheckIntervalMs?: number;
    readonly graphCheckTimeoutMs?: number;
  };
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
  /** The last-seen store: the one given (left open by `close`), the default memory one, or none. */
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
   * This node's Prometheus metrics (prom-client), every `presence_*` metric of docs/usage.md plus
   * Node's defaults: for an app that already serves a registry (merge it with
   * `Registry.merge([appRegistry, presence.metrics])`, or render `presence.metrics.metrics()`).
   * Built on first use.
   */
  readonly metrics: Registry;
  /**
   * A node:http request handler (`(req, res, next?) => void`) of this node's HTTP surface:
   * `/healthz`, `/readyz`, and with `adminToken` the admin routes (`/admin/presence`, the counts,
   * `/admin/deliver`, `/metrics`). Paths it does not serve go to `next` when given (Express,
   * Connect), else 404 JSON. docs/usage.md "HTTP routes in your own server" shows the mounts.
   */
  http(options?: PresenceHttpOptions): PresenceHttpHandler;
  /**
   * Whether a balancer should send this node clients (what `/readyz` answers): not closing, the
   * bus link up (or no bus), the initial sync with the other nodes done, the friends graph's last
   * check answered. The first call starts the graph checks.
   */
  readiness(): Readiness;
  /**
   * Shuts down, after a drain when `drainMs` > 0 and another node is up to take the clients
   * (src/server/drain.ts): new connections are refused with `draining`, `/readyz` answers 503,
   * each client is told to reconnect within `drainMs` (spread at random), and each entry stays
   * until its device is back on another node (or the leave grace after the window ends).
   * Then: hands pending deliveries to the fallback, refuses new connections, disconnects the gateway's sockets, stops the replica
   * announcing the leave (its presences leave the cluster at once), then closes what was created
   * here: the in-memory transport, the socket.io server and the HTTP server. A given `io`,
   * `httpServer`, `transport` and the graph stay open. Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Options of {@link PresenceServer.close}. */
export interface CloseOptions {
  /**
   * The drain window (ms): clients move to other nodes spread over it before the node stops.
   * 0, or no other node up: no drain, the presences leave at once. @default 0
   */
  readonly drainMs?: number;
  /** Ends a drain early (e.g. a second signal): what is left leaves at once. */
  readonly signal?: AbortSignal;
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
  const clock = options.clock ?? systemServerClock;
  const ownLastSeen = options.lastSeen === undefined ? new MemoryLastSeenStore() : undefined;
  const lastSeen = options.lastSeen === false ? undefined : (ownLastSeen ?? options.lastSeen);
  warnAboutLastSeen(options, ownTransport, logger);
  const graphProbe = new GraphProbe(options.graph, logger, {
    intervalMs: options.readiness?.graphCheckIntervalMs,
    timeoutMs: options.readiness?.graphCheckTimeoutMs,
    timers: clock,
  });
  const replica = new TrackerReplica({
    ...options.timing,
    name: nodeName,
    transport,
    logger,
    clock,
    timers: clock,
    countedTopicPrefixes: [USER_TOPIC_PREFIX],
  });
  // Durations that work but do not fit the tracker's timing (src/options/timing.ts).
  for (const problem of timingProblems({ ...options, ...replica.timing })) {
    logger.warn({ option: 'timing' }, problem);
  }
  // Every change of the replica goes through this router, to its consumers in their order.
  const changes = new ChangeRouter(replica, logger, () => clock.now());

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
  let leaveGraceMs = 0;
  let delivery: ReturnType<typeof setUpDelivery>;
  try {
    // The gateway's options are the server's (declared once, PresenceGatewayOptions).
    const gatewayOptions = resolveGatewayOptions({
      ...options,
      replica,
      changes,
      logger,
      clock,
      lastSeen,
    });
    // What the gateway keeps up to date and the server reads: counts, the last-seen reads (shared
    // by the gateway's `presence_last_seen` and the query).
    leaveGraceMs = gatewayOptions.leaveGraceMs;
    lastSeenReads = gatewayOptions.lastSeen && new LastSeenReads(gatewayOptions.lastSeen, logger);
    const namespace = io.of(PRESENCE_NAMESPACE) as unknown as PresenceNamespace;
    counts = new GatewayCounts(namespace, gatewayOptions, options.rooms);
    gateway = new PresenceGateway(io, gatewayOptions, { counts, lastSeenReads });
    query = new PresenceQuery({
      state: replica.view,
      graph: gatewayOptions.graph,
      graphTimeoutMs: gatewayOptions.graphTimeoutMs,
      timers: clock,
      lastSeen: lastSeenReads,
    });
    // A socket.io server of its own serves only `/presence`; an app's `io` keeps its `/`.
    if (ownIo) refuseMainNamespace(io);
    delivery = setUpDelivery({
      ...options,
      ...channels,
      replica,
      changes,
      gateway,
      logger,
      clock,
    });
  } catch (error) {
    gateway?.close();
    counts?.close();
    changes.close();
    if (ownIo) io.close();
    if (ownTransport) void transport.close();
    throw error;
  }
  // Watching before the replica starts: no transition is missed.
  const backend = new BackendPresence(replica, changes, { ...options, lastSeen }, logger, clock);
  replica.start();
  let closingStarted = false;
  const readiness = (): Readiness => {
    graphProbe.start();
    return readinessOf({
      draining: gateway.isDraining,
      closing: closingStarted,
      linkUp: transport.isLinkUp(),
      // A node without a bus has no other node to catch up with.
      synced: ownTransport || replica.synced,
      syncingWith: replica.syncingWith,
      graph: graphProbe.state,
    });
  };
  let metrics: PresenceMetrics | undefined;
  const nodeMetrics = (): PresenceMetrics => {
    metrics ??= createNodeMetrics({
      replica,
      gateway,
      changes,
      counts: counts.counts,
      online: backend.online,
      transports: options.bus
        ? [options.bus]
        : [transport, ...(channels.deliveryTransport ? [channels.deliveryTransport] : [])],
      delivery: delivery.deliverer,
      webhooks: backend.webhooks,
      lastSeenStats: lastSeenStats(),
      relayFramesDropped: options.graphRelay && (() => options.graphRelay?.droppedFrames ?? 0),
    });
    return metrics;
  };
  const lastSeenStats = () =>
    backend.lastSeenWrites && lastSeenReads
      ? { reads: lastSeenReads.stats, writes: backend.lastSeenWrites }
      : undefined;
  logger.info({ node: nodeName, namespace: PRESENCE_NAMESPACE }, 'presence gateway ready');

  let closing: Promise<void> | undefined;
  const close = (closeOptions?: CloseOptions) => {
    const drainMs = closeOptions?.drainMs ?? 0;
    if (!Number.isSafeInteger(drainMs) || drainMs < 0 || drainMs > MAX_TIMER_MS) {
      return Promise.reject(
        new InvalidOptionError(
          `close: drainMs must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(drainMs)}`,
        ),
      );
    }
    closing ??= (async () => {
      // Alone, a node has nowhere to send its clients: they leave at once.
      const others = replica.health.counts().up;
      if (drainMs > 0 && others > 0 && gateway.stats().connections > 0) {
        await drainGateway(
          gateway,
          { drainMs, leaveGraceMs, signal: closeOptions?.signal },
          clock,
          logger,
        );
      }
      closingStarted = true;
      graphProbe.stop();
      // After a drain, the entries of devices not back elsewhere yet are handed to the other
      // nodes' crash grace: the replica stops without announcing its leave, so they hold those
      // entries (with a lineage) as a crashed node's, and a device back later is still silent.
      const left = gateway.stats();
      const handOver = gateway.isDraining && left.connections + left.graced > 0;
      // Pending deliveries go to the fallback before their sockets are disconnected.
      const deliveriesClosed = delivery.deliverer?.close();
      gateway.close();
      // The counts publish their last room counts and stop following the tracker.
      counts.close();
      backend.stop(replica.health.counts().up === 0);
      replica.stop({ announce: !handOver });
      changes.close();
      await backend.close();
      if (ownTransport) await transport.close();
      if (ownIo) {
        if (ownHttp) await new Promise<void>((resolve) => io.close(() => resolve()));
        // Leave the app's HTTP server running: only drop the engine's connections.
        else io.engine.close();
      }
      await deliveriesClosed;
      metrics?.close();
      await ownLastSeen?.close();
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
    lastSeenStore: lastSeen,
    online: backend.online,
    webhooks: backend.webhooks,
    lastSeenStats: lastSeenStats(),
    get metrics() {
      return nodeMetrics().registry;
    },
    http: (httpOptions) => {
      graphProbe.start();
      return presenceHttp(httpOptions, {
        node: nodeName,
        isReady: () => !closingStarted && transport.isLinkUp(),
        replicaCounts: () => replica.health.counts(),
        metrics: nodeMetrics(),
        readiness,
        deliver,
        counts: counts.counts,
        query: query.query,
        logger,
      });
    },
    readiness,
    close,
  };
}

/** Last seen kept per node in a cluster, or webhooks without last seen: said once, at start. */
function warnAboutLastSeen(options: PresenceServerOptions, alone: boolean, logger: Logger): void {
  if (options.lastSeen === undefined && !alone) {
    logger.warn(
      { lastSeen: 'memory' },
      'lastSeen defaults to a MemoryLastSeenStore: in a cluster each node keeps its own last seen, so nodes disagree and a restart forgets it; give lastSeen a RedisLastSeenStore or PostgresLastSeenStore',
    );
  }
  if (options.lastSeen === false && options.webhooks !== undefined) {
    logger.warn(
      { lastSeen: false },
      'webhooks without a last-seen store (lastSeen: false): user.offline events carry lastSeen, but clients and the presence query answer lastSeen null; give lastSeen a store to keep it',
    );
  }
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
