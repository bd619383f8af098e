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

export async function startTwoNodes(options: {
  readonly secret: string;
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
  const [node1, node2] = await Promise.all([startCli(args('node-1')), startCli(args('node-2'))]);
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
