/**
 * Starts one presence node from a checked configuration: the node bus (waiting for the Redis link),
 * the friends graph, the last-seen store, the HTTP server with the gateway, metrics and the HTTP
 * routes; then listens.
 * Returns the URL and a shutdown that stops accepting, announces the leave and closes everything.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createTransportGraphChangeRelay } from '../../graph-adapters/graphology/transport-change-relay.js';
import { createRoutesHandler } from '../http/http-handler.js';
import { monotonic } from '../http/metrics.js';
import { createMetricsListener, METRICS_PATH, type MetricsText } from '../http/metrics-listener.js';
import { SECURITY_OPTIONS } from '../options/index.js';
import { systemTimers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { createPresenceServer, type PresenceServer } from '../server/create-presence-server.js';
import type { CliConfig } from './config.js';
import { createDemoRoutesFor } from './demo-setup.js';
import { httpUrl, isLoopbackHost, listen } from './listen.js';
import { openBus } from './open-bus.js';
import { type OpenedGraph, openGraph } from './open-graph.js';
import { type OpenedLastSeenStore, openLastSeenStore } from './open-last-seen.js';

/** Longest wait for open HTTP connections to close at shutdown before they are cut. */
const HTTP_CLOSE_GRACE_MS = 3_000;

export interface RunningNode {
  readonly url: string;
  /** The URL of /metrics on the metrics-only address, when --metrics-listen was given. */
  readonly metricsUrl: string | undefined;
  readonly nodeName: string;
  readonly presence: PresenceServer;
  /**
   * Drains (unless `drain` is false, or the node is alone: src/server/drain.ts), then stops
   * accepting, announces the leave of what is left and closes everything. Idempotent; a call
   * with `drain: false` during a drain ends the drain now.
   */
  shutdown(options?: { readonly drain?: boolean }): Promise<void>;
}

export async function startNode(config: CliConfig, logger: Logger): Promise<RunningNode> {
  const inMemoryGraph = config.graph.kind === 'demo' || config.graph.kind === 'graphology';
  const bus = await openBus({
    nodeName: config.nodeName,
    redisUrl: config.redisUrl,
    clusterSecret: config.clusterSecret,
    previousClusterSecret: config.clusterSecretPrevious,
    nextClusterSecret: config.clusterSecretNext,
    channelPrefix: config.channelPrefix,
    downPeriodMs: config.downPeriodMs,
    logger,
  });
  // Alone, a node has no peers to relay graph changes to.
  const relay =
    inMemoryGraph && config.redisUrl !== undefined
      ? createTransportGraphChangeRelay(bus.channel('graph'), logger)
      : undefined;
  let opened: OpenedGraph;
  try {
    opened = await openGraph(config.graph, logger, relay);
  } catch (error) {
    await bus.close();
    throw error;
  }
  // With --redis the default is Redis: memory here was asked for.
  if (config.lastSeen.spec.kind === 'memory' && config.redisUrl !== undefined) {
    logger.warn(
      { lastSeen: 'memory' },
      '--last-seen memory in a cluster: each node keeps its own last seen, so nodes disagree and a restart forgets it; use redis:<url> or postgres:<url> (the default with --redis is the --redis URL)',
    );
  }
  let lastSeen: OpenedLastSeenStore;
  try {
    lastSeen = await openLastSeenStore(config.lastSeen.spec, logger, config.lastSeen.source, {
      clusterSecret: config.clusterSecret,
      previousClusterSecret: config.clusterSecretPrevious,
    });
  } catch (error) {
    await opened.graph.close();
    await bus.close();
    throw error;
  }
  const secret = config.jwtSecret ?? randomBytes(32).toString('base64url');

  // socket.io wraps the server's request listeners when it attaches (its own paths first), so
  // the HTTP routes are registered now and bound once the replica and metrics exist.
  let route: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const httpServer = createServer((req, res) => route(req, res));
  let presence: PresenceServer;
  try {
    presence = createPresenceServer({
      httpServer,
      graph: opened.graph,
      bus,
      jwtSecret: secret,
      jwtPolicy: config.jwtPolicy,
      timing: {
        broadcastPeriodMs: config.broadcastPeriodMs,
        downPeriodMs: config.downPeriodMs,
        permdownPeriodMs: config.permdownPeriodMs,
        crashGraceMs: config.crashGraceMs,
      },
      maxBatchDelayMs: config.maxBatchDelayMs,
      leaveGraceMs: config.leaveGraceMs,
      inboundBudget: {
        perSecond: config.maxInboundPerSecond,
        burst: config.maxInboundPerSecond * 4,
      },
      handshakeRateLimit: {
        perSecond: config.handshakesPerSecond,
        burst: Math.max(1, config.handshakesPerSecond * 5),
        trustForwardedFor: config.trustForwardedFor,
      },
      subscriptionRecheck: { intervalMs: config.subscriptionRecheckMs },
      lastSeen: lastSeen.store,
      webhooks: config.webhook && { url: config.webhook.url, secret: config.webhook.secret },
      offlineDelayMs: config.offlineDelayMs,
      graphRelay: relay,
      logger,
    });
  } catch (error) {
    await lastSeen.store.close();
    await opened.graph.close();
    await bus.close();
    throw error;
  }
  presence.changes.attach('metrics', {
    replicaChanged: (event) =>
      logger.info(
        { replica: event.ref.name, vsn: event.ref.vsn, change: event.type },
        'replica status changed',
      ),
  });
  if (lastSeen.refusedValues) {
    monotonic(
      presence.metrics,
      'presence_last_seen_refused_total',
      'Values read from the last-seen store and refused: no valid MAC under the cluster secret',
      lastSeen.refusedValues,
    );
  }
  // The node's routes are the library's (presence.http()); --demo puts its own in front.
  const nodeRoutes = presence.http({ adminToken: config.adminToken });
  const demoRoutes = config.demo
    ? createRoutesHandler(
        createDemoRoutesFor({
          secret,
          graph: opened.graph,
          graphology: opened.graphology,
          tokenClaims: {
            ttlS: config.jwtPolicy.maxAgeS,
            audience: config.jwtPolicy.audience,
            issuer: config.jwtPolicy.issuer,
          },
        }),
        { logger },
      )
    : undefined;
  route = demoRoutes
    ? (req, res) => demoRoutes(req, res, () => nodeRoutes(req, res))
    : (req, res) => nodeRoutes(req, res);
  const metricsServer: Server | undefined = config.metricsListen
    ? createServer(createMetricsListener(registryMetrics(presence), logger))
    : undefined;
  if (config.metricsListen && !isLoopbackHost(config.metricsListen.host)) {
    logger.warn(
      { metricsListen: config.metricsListen.host },
      `--metrics-listen on ${config.metricsListen.host}, not a loopback address: /metrics is served there without authentication to anyone who can reach it (user counts, connection and traffic figures); keep that address on a private scrape network or firewall it`,
    );
  }

  let closing: Promise<void> | undefined;
  const drainCut = new AbortController();
  const shutdown = (options?: { readonly drain?: boolean }) => {
    const drain = options?.drain !== false;
    if (!drain) drainCut.abort();
    closing ??= (async () => {
      // The HTTP server keeps serving through the drain: /readyz says 503, and new connections
      // are refused with a retry hint rather than at the TCP level.
      await presence.close({ drainMs: drain ? config.drainMs : 0, signal: drainCut.signal });
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      httpServer.closeIdleConnections();
      await lastSeen.store.close();
      await opened.graph.close();
      // Closing the bus flushes the leave the replica just announced.
      await bus.close();
      const grace = systemTimers.setTimeout(
        () => httpServer.closeAllConnections(),
        HTTP_CLOSE_GRACE_MS,
      );
      await httpClosed;
      systemTimers.clearTimeout(grace);
    })();
    return closing;
  };

  try {
    const address = await listen(httpServer, config.port, config.host);
    let metricsUrl: string | undefined;
    if (metricsServer && config.metricsListen) {
      const { host, port } = config.metricsListen;
      const flag = SECURITY_OPTIONS.options.metricsListen.flag;
      const setting = { port: flag, host: flag };
      const metricsAddress = await listen(metricsServer, port, host, setting);
      metricsUrl = `${httpUrl(host, metricsAddress.port)}${METRICS_PATH}`;
    }
    logger.info(
      {
        port: address.port,
        host: config.host,
        graph: opened.description,
        lastSeen: lastSeen.description,
        redis: config.redisUrl !== undefined,
        demo: config.demo,
        metrics: metricsUrl ?? 'admin token',
      },
      'serving',
    );
    return {
      url: httpUrl(config.host, address.port),
      metricsUrl,
      nodeName: config.nodeName,
      presence,
      shutdown,
    };
  } catch (error) {
    await shutdown({ drain: false });
    throw error;
  }
}

/** The metrics-only address renders the node's registry (presence.metrics). */
function registryMetrics(presence: PresenceServer): MetricsText {
  const registry = presence.metrics;
  return { contentType: registry.contentType, render: () => registry.metrics() };
}
