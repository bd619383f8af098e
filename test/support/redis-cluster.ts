/**
 * A real Redis Cluster of three masters (no replicas) on loopback ports, made with
 * `redis-cli --cluster create`. Every server is killed when the test process exits; still call
 * dispose() in afterAll.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

const MASTERS = 3;

export interface RedisClusterHarness {
  readonly masters: readonly RedisServer[];
  dispose(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterHarness> {
  const directory = mkdtempSync(join(tmpdir(), 'presence-cluster-'));
  const masters: RedisServer[] = [];
  const dispose = async () => {
    await Promise.all(masters.map((server) => server.dispose()));
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < MASTERS; index += 1) {
      const nodeDirectory = mkdtempSync(join(directory, `node-${index}-`));
      masters.push(
        await startRedisServer({
          extraArgs: ['--dir', nodeDirectory, '--cluster-enabled', 'yes'],
        }),
      );
    }
    const addresses = masters.map((server) => `127.0.0.1:${server.port}`);
    await promisify(execFile)('redis-cli', [
      ...['--cluster', 'create', ...addresses],
      ...['--cluster-replicas', '0', '--cluster-yes'],
    ]);
    await waitFor(async () => (await Promise.all(masters.map(clusterIsOk))).every(Boolean), {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: 'every cluster node reports cluster_state:ok',
    });
  } catch (error) {
    await dispose();
    throw error;
  }
  return { masters, dispose };
}

async function clusterIsOk(server: RedisServer): Promise<boolean> {
  const client = new Redis(server.url, { lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = (await client.call('CLUSTER', 'INFO')) as string;
    return info.includes('cluster_state:ok');
  } finally {
    client.disconnect();
  }
}
