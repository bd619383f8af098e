/**
 * Two `graph-presence` processes over a fresh harness redis-server, for cluster tests: demo
 * graph, 100 ms broadcast, and a minute's down period, so that only an announced leave can
 * explain a prompt departure. Resolves once each node sees the other up.
 */
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { type CliRun, killAll, startCli, stopCli } from './cli-process.js';

export interface CliNode {
  readonly run: CliRun;
  readonly url: string;
}

export interface TwoNodes {
  readonly redis: RedisServer;
  readonly node1: CliNode;
  readonly node2: CliNode;
  /** Stops both nodes (one already stopped is fine) and the redis-server. */
  stop(): Promise<void>;
}

/** The cluster secret test clusters share (PRESENCE_CLUSTER_SECRET). */
export const TEST_CLUSTER_SECRET = 'cli-test-cluster-secret-of-32-bytes';

export async function startTwoNodes(options: {
  readonly secret: string;
  /** PRESENCE_CLUSTER_SECRET of both nodes; null: none. @default TEST_CLUSTER_SECRET */
  readonly clusterSecret?: string | null;
  /** More options for both nodes, e.g. `--admin-token`. */
  readonly extraArgs?: readonly string[];
}): Promise<TwoNodes> {
  const redis = await startRedisServer();
  const args = (name: string) => [
    ...['--port', '0', '--redis', redis.url, '--node-name', name, '--demo'],
    ...['--jwt-secret', options.secret, '--broadcast-period-ms', '100'],
    ...['--down-period-ms', '60000', '--permdown-period-ms', '120000'],
    ...(options.extraArgs ?? []),
  ];
  const clusterSecret =
    options.clusterSecret === undefined ? TEST_CLUSTER_SECRET : options.clusterSecret;
  const env: Record<string, string> =
    clusterSecret === null ? {} : { PRESENCE_CLUSTER_SECRET: clusterSecret };
  const [node1, node2] = await Promise.all([
    startCli(args('node-1'), env),
    startCli(args('node-2'), env),
  ]);
  const stop = async () => {
    await Promise.all([stopCli(node1.run), stopCli(node2.run)]);
    killAll();
    await redis.dispose();
  };
  try {
    await waitFor(
      async () => {
        const health = await Promise.all(
          [node1, node2].map(async (n) => (await fetch(`${n.url}/healthz`)).json()),
        );
        return health.every((h) => (h as { replicas: { up: number } }).replicas.up === 1);
      },
      { timeoutMs: 15_000, description: 'each node sees the other up' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { redis, node1, node2, stop };
}
