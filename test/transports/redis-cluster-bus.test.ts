/**
 * The node bus on a real Redis Cluster (three masters): classic pub/sub works across shards, so
 * two nodes whose buses connect to different cluster nodes (plain redis:// URLs) hear each other,
 * and every message is broadcast to every shard, a third one included. What docs/usage.md claims
 * about Redis Cluster, and no more.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisBusChannel } from '../../load/support/bus-channel.js';
import type { BusChannel } from '../../src/ports/bus-channel.js';
import { type RedisClusterHarness, startRedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait-for.js';
import { TEST_CLUSTER_SECRET } from './redis-test-bed.js';

let cluster: RedisClusterHarness;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  try {
    for (const cleanup of cleanups.reverse()) await cleanup();
  } finally {
    await cluster?.dispose();
  }
});

function record(transport: BusChannel): string[] {
  const frames: string[] = [];
  transport.onFrame((frame) => frames.push(Buffer.from(frame).toString()));
  return frames;
}

describe('the node bus on a Redis Cluster', () => {
  it('carries broadcast and direct frames between nodes on different shards, and every shard gets them', async () => {
    const channelPrefix = `test-${randomUUID()}`;
    const [first, second, third] = cluster.masters;
    const open = (selfId: string, url: string) => {
      const transport = redisBusChannel({
        selfId,
        url,
        channelPrefix,
        clusterSecret: TEST_CLUSTER_SECRET,
      });
      cleanups.push(() => transport.close());
      return transport;
    };
    const a = open('a', first!.url);
    const b = open('b', third!.url);
    await waitFor(() => a.isLinkUp() && b.isLinkUp(), { description: 'both links up' });
    // A bystander on the shard neither node uses sees the cluster-wide traffic.
    const bystander = new Redis(second!.url);
    cleanups.push(() => bystander.disconnect());
    const overheard: string[] = [];
    bystander.on('pmessage', (_pattern: string, channel: string) => overheard.push(channel));
    await bystander.psubscribe(`${channelPrefix}:*`);

    const [atA, atB] = [record(a), record(b)];
    a.broadcast(Buffer.from('hello from a'));
    b.sendTo('a', Buffer.from('direct to a'));
    await waitFor(() => atB.length === 1 && atA.length === 1, { description: 'both frames' });
    expect(atB).toEqual(['hello from a']);
    expect(atA).toEqual(['direct to a']);
    await waitFor(() => overheard.length >= 2, { description: 'the third shard overhears both' });
    expect(overheard).toEqual(
      expect.arrayContaining([`${channelPrefix}:bcast`, `${channelPrefix}:to:a`]),
    );
  });
});
