/**
 * The replication transports: in memory (one node) without --redis; with it, a Redis transport
 * for the tracker and, when the friends graph lives in each node's memory, a second one on the
 * channel prefix `<prefix>:graph` for the graph change relay, and always one on
 * `<prefix>:delivery` for `deliver`. All must get their link within the timeout, or the command
 * stops with a CliError naming --redis. Alone, each is an in-memory transport with no peers.
 */
import type { Logger } from '../ports/logger.js';
import type { ReplicationTransport } from '../ports/replication-transport.js';
import { createInMemoryBus } from '../transports/in-memory-transport.js';
import { DEFAULT_CHANNEL_PREFIX } from '../transports/redis-channels.js';
import { createRedisTransport } from '../transports/redis-transport.js';
import { waitForLinkUp } from '../transports/wait-for-link-up.js';
import { CliError } from './cli-error.js';
import { redactUrl } from './graph-spec.js';
import { withoutStacks } from './logger.js';

export const REDIS_CONNECT_TIMEOUT_MS = 5_000;
export const GRAPH_CHANNEL_PREFIX = `${DEFAULT_CHANNEL_PREFIX}:graph`;
export const DELIVERY_CHANNEL_PREFIX = `${DEFAULT_CHANNEL_PREFIX}:delivery`;

export interface OpenTransportOptions {
  readonly nodeName: string;
  readonly redisUrl: string | undefined;
  readonly withGraphRelay: boolean;
  readonly logger: Logger;
}

export interface OpenedTransports {
  readonly tracker: ReplicationTransport;
  /** Only in a cluster with an in-memory graph. */
  readonly graph: ReplicationTransport | undefined;
  /** `deliver` between nodes (alone: a transport with no peers). */
  readonly delivery: ReplicationTransport;
  close(): Promise<void>;
}

export async function openTransports(options: OpenTransportOptions): Promise<OpenedTransports> {
  const { nodeName, redisUrl, logger } = options;
  if (redisUrl === undefined) {
    const tracker = createInMemoryBus({ logger }).createTransport(nodeName);
    const delivery = createInMemoryBus({ logger }).createTransport(nodeName);
    const close = async () => {
      await Promise.all([tracker.close(), delivery.close()]);
    };
    return { tracker, graph: undefined, delivery, close };
  }
  const transportLogger = withoutStacks(childLogger(logger, { component: 'transport' }));
  const tracker = createRedisTransport({
    url: redisUrl,
    selfId: nodeName,
    logger: transportLogger,
  });
  const graph = options.withGraphRelay
    ? createRedisTransport({
        url: redisUrl,
        selfId: nodeName,
        channelPrefix: GRAPH_CHANNEL_PREFIX,
        logger: transportLogger,
      })
    : undefined;
  const delivery = createRedisTransport({
    url: redisUrl,
    selfId: nodeName,
    channelPrefix: DELIVERY_CHANNEL_PREFIX,
    logger: transportLogger,
  });
  const close = async () => {
    await Promise.all([tracker.close(), graph?.close(), delivery.close()]);
  };
  try {
    await Promise.all([
      waitForLinkUp(tracker, REDIS_CONNECT_TIMEOUT_MS),
      graph && waitForLinkUp(graph, REDIS_CONNECT_TIMEOUT_MS),
      waitForLinkUp(delivery, REDIS_CONNECT_TIMEOUT_MS),
    ]);
  } catch {
    await close();
    throw new CliError(
      `--redis: cannot reach Redis at ${redactUrl(redisUrl)} within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s; start Redis or fix the URL (or leave --redis out to run one node alone)`,
    );
  }
  return { tracker, graph, delivery, close };
}

function childLogger(logger: Logger, bindings: object): Logger {
  const withChild = logger as Logger & { child?: (bindings: object) => Logger };
  return typeof withChild.child === 'function' ? withChild.child(bindings) : logger;
}
