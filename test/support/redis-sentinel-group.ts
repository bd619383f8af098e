/**
 * A real Redis Sentinel setup on loopback ports for failover tests: a master, two replicas and
 * three `redis-sentinel` processes (quorum 2) watching them, with a short down-after and
 * failover timeout so a killed master is replaced within seconds. The replicas' priorities make
 * the first one the Sentinels' choice while it is healthy; the second stays a replica, ready for a
 * graceful failover (Sentinels re-check a returning server only every 10 s). Every process is killed when
 * the test process exits; still call dispose() in afterAll.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findFreePort, type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

const HOST = '127.0.0.1';
const SENTINELS = 3;
const QUORUM = 2;
/**
 * Short, so a failover takes seconds, yet long enough that a loaded machine does not make the
 * Sentinels fail over a healthy master; tests wait for outcomes, never for these.
 */
const DOWN_AFTER_MS = 2_000;
const FAILOVER_TIMEOUT_MS = 5_000;

export interface SentinelGroup {
  readonly masterName: string;
  /** The first master; after a failover, no longer it. */
  readonly master: RedisServer;
  /** In the order the Sentinels prefer them for a promotion. */
  readonly replicas: readonly [RedisServer, RedisServer];
  readonly sentinelPorts: readonly number[];
  /** `redis-sentinel://127.0.0.1:<p1>,…/<master name>` */
  readonly url: string;
  /** The port every Sentinel reports for the master, or undefined while they disagree. */
  agreedMasterPort(): Promise<number | undefined>;
  /** Whether the Sentinels list `port` as a healthy replica with its link to the master up. */
  isHealthyReplica(port: number): Promise<boolean>;
  /** `SENTINEL FAILOVER`: a graceful failover, the master alive; rejects on a refusal. */
  requestFailover(): Promise<void>;
  /**
   * SIGSTOP or SIGCONT one Sentinel: a frozen host, whose port still accepts connections (the
   * kernel's) but which never answers.
   */
  freezeSentinel(index: number, frozen: boolean): void;
  dispose(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startSentinelGroup(masterName = 'presence'): Promise<SentinelGroup> {
  const directory = mkdtempSync(join(tmpdir(), 'presence-sentinel-'));
  const master = await startRedisServer({ extraArgs: ['--dir', directory] });
  const replica = (priority: number) =>
    startRedisServer({
      extraArgs: [
        ...['--dir', mkdtempSync(join(directory, 'replica-'))],
        ...['--replicaof', HOST, String(master.port), '--replica-priority', String(priority)],
      ],
    });
  const replicas = [await replica(10), await replica(100)] as const;
  const sentinels: ChildProcess[] = [];
  const sentinelPorts: number[] = [];
  const dispose = async () => {
    await Promise.all(sentinels.map((child) => stopProcess(child)));
    await Promise.all([master, ...replicas].map((server) => server.dispose()));
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < SENTINELS; index += 1) {
      const port = await findFreePort();
      const config = join(directory, `sentinel-${index}.conf`);
      writeFileSync(config, sentinelConfig(port, directory, masterName, master.port));
      sentinels.push(startSentinelProcess(config));
      sentinelPorts.push(port);
    }
    const replicaPorts = replicas.map((server) => server.port);
    await waitFor(() => everySentinelSeesTheGroup(sentinelPorts, masterName, replicaPorts), {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'every Sentinel sees the master, its replicas and the other Sentinels',
    });
  } catch (error) {
    await dispose();
    throw error;
  }
  const addresses = sentinelPorts.map((port) => `${HOST}:${port}`).join(',');
  const frozenPorts = new Set<number>();
  const answering = () => sentinelPorts.filter((port) => !frozenPorts.has(port));
  return {
    masterName,
    master,
    replicas,
    sentinelPorts,
    url: `redis-sentinel://${addresses}/${masterName}`,
    agreedMasterPort: () => agreedMasterPort(answering(), masterName),
    isHealthyReplica: (port) => isHealthyReplica(answering(), masterName, port),
    freezeSentinel: (index, frozen) => {
      sentinels[index]?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
      if (frozen) frozenPorts.add(sentinelPorts[index]!);
      else frozenPorts.delete(sentinelPorts[index]!);
    },
    requestFailover: async () => {
      await withSentinel(answering()[0]!, (client) =>
        client.call('SENTINEL', 'FAILOVER', masterName),
      );
    },
    dispose,
  };
}

function sentinelConfig(port: number, directory: string, name: string, masterPort: number) {
  return [
    `port ${port}`,
    `bind ${HOST}`,
    'daemonize no',
    'loglevel warning',
    `dir ${directory}`,
    `sentinel monitor ${name} ${HOST} ${masterPort} ${QUORUM}`,
    `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
    `sentinel parallel-syncs ${name} 1`,
    '',
  ].join('\n');
}

function startSentinelProcess(config: string): ChildProcess {
  installExitHook();
  const child = spawn('redis-sentinel', [config], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Drained so a chatty process never blocks; failures show as a readiness timeout.
  child.stderr?.resume();
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

async function withSentinel<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: HOST, port, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

async function everySentinelSeesTheGroup(
  ports: readonly number[],
  name: string,
  replicaPorts: readonly number[],
) {
  const views = await Promise.all(
    ports.map((port) =>
      withSentinel(port, async (client) => {
        const master = fields((await client.call('SENTINEL', 'MASTER', name)) as string[]);
        const replicas = (await client.call('SENTINEL', 'REPLICAS', name)) as string[][];
        return (
          master.flags === 'master' &&
          Number(master['num-other-sentinels']) === SENTINELS - 1 &&
          replicaPorts.every((port) => healthyReplicaIn(replicas, port))
        );
      }),
    ),
  );
  return views.every(Boolean);
}

async function agreedMasterPort(ports: readonly number[], name: string) {
  const reported = await Promise.all(
    ports.map((port) =>
      withSentinel(port, async (client) => {
        const address = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as
          | [string, string]
          | null;
        return address === null ? undefined : Number(address[1]);
      }).catch(() => undefined),
    ),
  );
  const [first] = reported;
  return reported.every((port) => port === first) ? first : undefined;
}

async function isHealthyReplica(ports: readonly number[], name: string, port: number) {
  const views = await Promise.all(
    ports.map((sentinelPort) =>
      withSentinel(sentinelPort, async (client) => {
        const replicas = (await client.call('SENTINEL', 'REPLICAS', name)) as string[][];
        return healthyReplicaIn(replicas, port);
      }),
    ),
  );
  return views.every(Boolean);
}

function healthyReplicaIn(replicas: readonly string[][], port: number): boolean {
  return replicas.some((flat) => {
    const replica = fields(flat);
    return (
      Number(replica['port']) === port &&
      replica['flags'] === 'slave' &&
      replica['master-link-status'] === 'ok'
    );
  });
}

/** A Sentinel reply's flat [key, value, key, value, …] list as an object. */
function fields(flat: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) result[flat[index]!] = flat[index + 1]!;
  return result;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}
