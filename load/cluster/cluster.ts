/**
 * The server side of a load run: a local redis-server (the test harness, free port) and K real
 * `graph-presence` node processes (the sources via tsx, so src/ changes are measured), all
 * reading the same generated graph file; or, for the baseline, one plain socket.io server
 * process (load/baseline/baseline-server.ts) on the same graph file, without redis.
 */
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { type NodeProcess, spawnNode } from './node-process.js';
import { findRedisPid } from './proc-stats.js';

const LOAD_CLUSTER_SECRET = 'load-run-cluster-secret-of-32-bytes!';

/** The admin token of every load node (POST /admin/deliver, GET /admin/counts). */
export const ADMIN_TOKEN = 'load-admin-token-0123456789';
/** /metrics is an admin route too (the baseline server ignores the header). */
export const ADMIN_HEADERS = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** What serves the clients: graph-presence nodes, or the plain socket.io baseline. */
export type ServerKind = 'graph-presence' | 'baseline';

export interface ClusterOptions {
  readonly server: ServerKind;
  readonly nodes: number;
  readonly graphFile: string;
  readonly secret: string;
  readonly broadcastPeriodMs: number;
  readonly downPeriodMs: number;
  /** The nodes' `--leave-grace-ms`; undefined: their default. */
  readonly leaveGraceMs?: number | undefined;
  /** The nodes' `--max-batch-delay-ms`; undefined: their default. */
  readonly maxBatchDelayMs?: number | undefined;
  /** The nodes' `--crash-grace-ms`; undefined: their default. */
  readonly crashGraceMs?: number | undefined;
  /** The nodes' `--drain-ms` on SIGTERM; undefined: 0, stop at once. */
  readonly drainMs?: number | undefined;
  /** Node flags of the node processes (e.g. `--cpu-prof --cpu-prof-dir=prof`). */
  readonly nodeArgs: readonly string[];
  readonly logLevel: string;
  /** Online/offline webhooks to this receiver (the secret goes in PRESENCE_WEBHOOK_SECRET). */
  readonly webhook?: { readonly url: string; readonly secret: string } | undefined;
  /** The nodes' `--offline-delay-ms`; undefined: their default. */
  readonly offlineDelayMs?: number | undefined;
}

export interface NodeMetrics {
  readonly heapUsedBytes: number;
  /** p99 and max of the event-loop lag since the previous scrape (prom-client resets it). */
  readonly eventLoopLagP99Ms: number;
  readonly eventLoopLagMaxMs: number;
  readonly connections: number;
  readonly presences: number;
  /** The webhook sender's figures; undefined on a node without webhooks. */
  readonly webhook: WebhookMetrics | undefined;
}

export interface WebhookMetrics {
  /** presence_webhook_events_total by outcome. */
  readonly delivered: number;
  readonly failed: number;
  readonly dropped: number;
  /** presence_webhook_attempts_total{result="retry"} and {result="refused"}. */
  readonly retried: number;
  readonly refused: number;
  /** presence_webhook_queue_depth at the scrape. */
  readonly queueDepth: number;
}

export class Cluster {
  private constructor(
    readonly redis: RedisServer | undefined,
    readonly redisPid: number | undefined,
    readonly nodes: NodeProcess[],
    readonly urls: string[],
  ) {}

  static async start(options: ClusterOptions): Promise<Cluster> {
    if (options.server === 'baseline') return Cluster.startBaseline(options);
    const redis = await startRedisServer();
    // A cluster secret like production's, so load runs pay for the frames' MACs.
    const env: Record<string, string> = {
      LOG_LEVEL: options.logLevel,
      PRESENCE_CLUSTER_SECRET: LOAD_CLUSTER_SECRET,
      ...(options.webhook ? { PRESENCE_WEBHOOK_SECRET: options.webhook.secret } : {}),
    };
    const nodes = Array.from({ length: options.nodes }, (_, i) =>
      spawnNode(
        [
          ...['--port', '0', '--node-name', `load-n${i}`, '--redis', redis.url],
          ...['--jwt-secret', options.secret, '--graph', `graphology:${options.graphFile}`],
          ...['--broadcast-period-ms', String(options.broadcastPeriodMs)],
          ...['--down-period-ms', String(options.downPeriodMs)],
          ...['--admin-token', ADMIN_TOKEN],
          // Every load client connects from this one address: no per-address handshake limit.
          ...['--handshakes-per-second', '0'],
          ...['--drain-ms', String(options.drainMs ?? 0)],
          ...(options.leaveGraceMs === undefined
            ? []
            : ['--leave-grace-ms', String(options.leaveGraceMs)]),
          ...(options.crashGraceMs === undefined
            ? []
            : ['--crash-grace-ms', String(options.crashGraceMs)]),
          ...(options.maxBatchDelayMs === undefined
            ? []
            : ['--max-batch-delay-ms', String(options.maxBatchDelayMs)]),
          ...(options.webhook ? ['--webhook-url', options.webhook.url] : []),
          ...(options.offlineDelayMs === undefined
            ? []
            : ['--offline-delay-ms', String(options.offlineDelayMs)]),
        ],
        env,
        options.nodeArgs,
      ),
    );
    try {
      await waitFor(() => nodes.every((n) => n.url() !== undefined || n.child.exitCode !== null), {
        timeoutMs: 180_000,
        intervalMs: 100,
        description: 'every node listening',
      });
    } catch (err) {
      for (const node of nodes) node.child.kill('SIGKILL');
      await redis.dispose();
      throw err;
    }
    const failed = nodes.find((n) => n.url() === undefined);
    if (failed) {
      for (const node of nodes) node.child.kill('SIGKILL');
      await redis.dispose();
      throw new Error(`a node exited before listening:\n${failed.output()}`);
    }
    nodes.forEach((node, i) => {
      void node.exited.then(() => {
        const { exitCode, signalCode } = node.child;
        if (signalCode === 'SIGKILL' || (exitCode === 0 && signalCode === null)) return;
        process.stderr.write(
          `load: node${i} exited unexpectedly (${exitCode ?? signalCode}):\n${node.output().slice(-4000)}\n`,
        );
      });
    });
    const cluster = new Cluster(
      redis,
      findRedisPid(redis.port),
      nodes,
      nodes.map((n) => n.url()!),
    );
    await cluster.waitForReplicas();
    return cluster;
  }

  private static async startBaseline(options: ClusterOptions): Promise<Cluster> {
    const nodes = Array.from({ length: options.nodes }, () =>
      spawnNode(
        ['--port', '0', '--graph', options.graphFile, '--jwt-secret', options.secret],
        {},
        options.nodeArgs,
        'load/baseline/baseline-server.ts',
      ),
    );
    try {
      await waitFor(() => nodes.every((n) => n.url() !== undefined || n.child.exitCode !== null), {
        timeoutMs: 180_000,
        intervalMs: 100,
        description: 'every baseline server listening',
      });
    } catch (err) {
      for (const node of nodes) node.child.kill('SIGKILL');
      throw err;
    }
    const failed = nodes.find((n) => n.url() === undefined);
    if (failed) {
      for (const node of nodes) node.child.kill('SIGKILL');
      throw new Error(`a baseline server exited before listening:\n${failed.output()}`);
    }
    return new Cluster(
      undefined,
      undefined,
      nodes,
      nodes.map((n) => n.url()!),
    );
  }

  /** Every node sees every other replica up (so the run starts on a formed cluster). */
  private async waitForReplicas(): Promise<void> {
    const others = this.nodes.length - 1;
    await waitFor(
      async () => {
        for (const url of this.urls) {
          const health = (await (await fetch(`${url}/healthz`)).json()) as {
            replicas?: { up: number };
          };
          if ((health.replicas?.up ?? 0) < others) return false;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 100, description: 'every replica up on every node' },
    );
  }

  get nodePids(): number[] {
    return this.nodes.map((n) => n.child.pid!);
  }

  isAlive(index: number): boolean {
    const child = this.nodes[index]!.child;
    return child.exitCode === null && child.signalCode === null;
  }

  kill(index: number): void {
    this.nodes[index]!.child.kill('SIGKILL');
  }

  /** SIGTERM one node (it drains with --drain-ms); resolves with its exit code once it exited. */
  async terminate(index: number): Promise<number | null> {
    const node = this.nodes[index]!;
    node.child.kill('SIGTERM');
    await node.exited;
    return node.child.exitCode;
  }

  /** A few figures from a node's /metrics; undefined if it does not answer in time. */
  async metrics(index: number): Promise<NodeMetrics | undefined> {
    if (!this.isAlive(index)) return undefined;
    try {
      const response = await fetch(`${this.urls[index]}/metrics`, {
        headers: ADMIN_HEADERS,
        signal: AbortSignal.timeout(2_000),
      });
      const text = await response.text();
      const lines = text.split('\n');
      const read = (name: string) => {
        const line = lines.find((l) => l.startsWith(`${name} `));
        return line ? Number(line.slice(name.length + 1)) : Number.NaN;
      };
      const queueDepth = read('presence_webhook_queue_depth');
      return {
        heapUsedBytes: read('nodejs_heap_size_used_bytes'),
        eventLoopLagP99Ms: read('nodejs_eventloop_lag_p99_seconds') * 1000,
        eventLoopLagMaxMs: read('nodejs_eventloop_lag_max_seconds') * 1000,
        connections: read('presence_connections'),
        presences: read('presence_presences'),
        webhook: Number.isNaN(queueDepth)
          ? undefined
          : {
              delivered: read('presence_webhook_events_total{outcome="delivered"}'),
              failed: read('presence_webhook_events_total{outcome="failed"}'),
              dropped: read('presence_webhook_events_total{outcome="dropped"}'),
              retried: read('presence_webhook_attempts_total{result="retry"}'),
              refused: read('presence_webhook_attempts_total{result="refused"}'),
              queueDepth,
            },
      };
    } catch {
      return undefined;
    }
  }

  /** SIGTERM every live node (SIGKILL after a grace), then stop redis. */
  async stop(): Promise<void> {
    const exits = this.nodes.map(async (node, i) => {
      if (!this.isAlive(i)) return;
      node.child.kill('SIGTERM');
      const timer = setTimeout(() => node.child.kill('SIGKILL'), 15_000);
      await node.exited;
      clearTimeout(timer);
    });
    await Promise.all(exits);
    await this.redis?.dispose();
  }
}
