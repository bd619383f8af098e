/**
 * The node bus: in memory (one node) without --redis; with it, one Redis bus (one publisher and
 * one subscriber connection) carrying the tracker, `deliver` and, when the friends graph lives in
 * each node's memory, the graph change relay. Its link must come up within the timeout, or the
 * command stops with a CliError naming --redis.
 */
import type { Logger } from '../ports/logger.js';
import type { NodeBus } from '../ports/node-bus.js';
import { replayWindowMs } from '../transports/frame-freshness.js';
import { createInMemoryBus } from '../transports/in-memory-bus.js';
import { createRedisNodeBus } from '../transports/redis-node-bus.js';
import { waitForLinkUp } from '../transports/wait-for-link-up.js';
import { CliError } from './cli-error.js';
import { redactUrl } from './graph-spec.js';
import { withoutStacks } from './logger.js';

export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

export interface OpenBusOptions {
  readonly nodeName: string;
  readonly redisUrl: string | undefined;
  readonly clusterSecret: string | undefined;
  readonly previousClusterSecret: string | undefined;
  readonly nextClusterSecret: string | undefined;
  readonly channelPrefix: string | undefined;
  /** The replicas' down period: the replay window is derived from it (frame-freshness.ts). */
  readonly downPeriodMs: number;
  readonly logger: Logger;
}

export async function openBus(options: OpenBusOptions): Promise<NodeBus> {
  const { nodeName, redisUrl, logger } = options;
  if (redisUrl === undefined) return createInMemoryBus({ logger }).createNodeBus(nodeName);
  if (options.clusterSecret === undefined) {
    logger.warn(
      {},
      'NO CLUSTER SECRET: node frames over Redis are not authenticated, so anyone who can publish to this Redis can inject presences, messages and graph edges; set PRESENCE_CLUSTER_SECRET (or lock Redis down with ACLs and TLS via rediss://)',
    );
  }
  const bus = createRedisNodeBus({
    url: redisUrl,
    selfId: nodeName,
    clusterSecret: options.clusterSecret,
    previousClusterSecret: options.previousClusterSecret,
    nextClusterSecret: options.nextClusterSecret,
    channelPrefix: options.channelPrefix,
    replayWindowMs: replayWindowMs(options.downPeriodMs),
    logger: withoutStacks(childLogger(logger, { component: 'bus' })),
  });
  try {
    await waitForLinkUp(bus.channel('tracker'), REDIS_CONNECT_TIMEOUT_MS);
  } catch {
    await bus.close();
    throw new CliError(
      `--redis: cannot reach Redis at ${redactUrl(redisUrl)} within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s; start Redis or fix the URL (or leave --redis out to run one node alone)`,
    );
  }
  return bus;
}

function childLogger(logger: Logger, bindings: object): Logger {
  const withChild = logger as Logger & { child?: (bindings: object) => Logger };
  return typeof withChild.child === 'function' ? withChild.child(bindings) : logger;
}
