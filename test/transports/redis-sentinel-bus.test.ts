/**
 * The library over Redis Sentinel (a real master, two replicas, three redis-sentinels): a node bus
 * from a `redis-sentinel://` URL and one on injected ioredis Sentinel clients (docs/usage.md's
 * snippet), and the Redis last-seen store from the same URL, through a SIGKILLed master. The
 * links go down, come up on the promoted replica, and frames and last-seen writes work there,
 * also when one Sentinel is frozen (it accepts connections but never answers).
 * The CLI's side: test/cli/sentinel-failover.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisLastSeenStore } from '../../src/last-seen/redis-last-seen-store.js';
import type { NodeBus } from '../../src/ports/node-bus.js';
import { createRedisNodeBus } from '../../src/transports/redis-node-bus.js';
import { parseSentinelUrl } from '../../src/transports/redis-url.js';
import { type SentinelGroup, startSentinelGroup } from '../support/redis-sentinel-group.js';
import { waitFor } from '../support/wait-for.js';
import { TEST_CLUSTER_SECRET } from './redis-test-bed.js';

let group: SentinelGroup;
const cleanups: Array<() => unknown> = [];

beforeEach(async () => {
  group = await startSentinelGroup();
}, 60_000);

afterEach(async () => {
  try {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  } finally {
    await group?.dispose();
  }
}, 30_000);

function linkHistory(bus: NodeBus): boolean[] {
  const history: boolean[] = [];
  bus.onLinkChange((up) => history.push(up));
  return history;
}

function frames(bus: NodeBus): string[] {
  const received: string[] = [];
  bus.channel('tracker').onFrame((frame) => received.push(Buffer.from(frame).toString()));
  return received;
}

describe('the node bus and the last-seen store on Redis Sentinel', () => {
  it('follow a killed master to the promoted replica', async () => {
    const channelPrefix = `test-${randomUUID()}`;
    const fromUrl = createRedisNodeBus({
      selfId: 'a',
      url: group.url,
      channelPrefix,
      clusterSecret: TEST_CLUSTER_SECRET,
    });
    cleanups.push(() => fromUrl.close());
    const sentinel = parseSentinelUrl(group.url);
    const publisher = new Redis({
      ...sentinel,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    });
    const subscriber = new Redis(sentinel);
    for (const client of [publisher, subscriber]) client.on('error', () => {});
    const injected = createRedisNodeBus({
      selfId: 'b',
      publisher,
      subscriber,
      channelPrefix,
      clusterSecret: TEST_CLUSTER_SECRET,
    });
    cleanups.push(() => {
      publisher.disconnect();
      subscriber.disconnect();
    });
    cleanups.push(() => injected.close());
    const lastSeen = await RedisLastSeenStore.connect({ url: group.url });
    cleanups.push(() => lastSeen.close());

    await waitFor(() => fromUrl.isLinkUp() && injected.isLinkUp(), { description: 'links up' });
    const [historyA, historyB] = [linkHistory(fromUrl), linkHistory(injected)];
    const [atA, atB] = [frames(fromUrl), frames(injected)];
    fromUrl.channel('tracker').broadcast(Buffer.from('before'));
    await waitFor(() => atB.length === 1, { description: 'the frame before the failover' });
    await lastSeen.record('alice', 1_000);
    // Replication is asynchronous: the write survives the master only once the replica has it.
    const onReplica = new Redis(group.replicas[0].url);
    cleanups.push(() => onReplica.disconnect());
    await waitFor(
      async () => (await onReplica.hget(`${lastSeen.keyPrefix}alice`, 'at')) === '1000',
      {
        description: 'the replica has the write',
      },
    );

    await group.master.stop({ signal: 'SIGKILL' });
    await waitFor(() => historyA.includes(false) && historyB.includes(false), {
      description: 'both links down with the master',
    });
    await waitFor(async () => (await group.agreedMasterPort()) === group.replicas[0].port, {
      timeoutMs: 45_000,
      intervalMs: 200,
      description: 'the Sentinels promote the replica',
    });
    await waitFor(() => fromUrl.isLinkUp() && injected.isLinkUp(), {
      timeoutMs: 30_000,
      description: 'both links up on the promoted replica',
    });
    expect(historyA).toEqual([false, true]);
    expect(historyB).toEqual([false, true]);

    injected.channel('tracker').sendTo('a', Buffer.from('direct after'));
    fromUrl.channel('tracker').broadcast(Buffer.from('broadcast after'));
    await waitFor(() => atA.length === 1 && atB.length === 2, { description: 'frames after' });
    expect(atA).toEqual(['direct after']);
    expect(atB).toEqual(['before', 'broadcast after']);

    // The store reads the write from before and writes on the promoted replica.
    await waitFor(() => lastSeen.record('bob', 2_000).then(() => true), {
      timeoutMs: 20_000,
      description: 'a last-seen write on the new master',
    });
    const stored = await lastSeen.get(['alice', 'bob']);
    expect(stored.get('alice')?.lastSeen).toBe(1_000);
    expect(stored.get('bob')?.lastSeen).toBe(2_000);
  }, 120_000);

  it('follow a killed master while one Sentinel is frozen', async () => {
    const channelPrefix = `test-${randomUUID()}`;
    const open = (selfId: string) => {
      const bus = createRedisNodeBus({ selfId, url: group.url, channelPrefix });
      cleanups.push(() => bus.close());
      return bus;
    };
    const [a, b] = [open('a'), open('b')];
    const lastSeen = await RedisLastSeenStore.connect({ url: group.url });
    cleanups.push(() => lastSeen.close());
    await waitFor(() => a.isLinkUp() && b.isLinkUp(), { description: 'links up' });

    // Reconnecting clients ask the Sentinels in turn: each must get past the frozen one.
    group.freezeSentinel(2, true);
    cleanups.push(() => group.freezeSentinel(2, false));
    await group.master.stop({ signal: 'SIGKILL' });
    await waitFor(() => !a.isLinkUp() && !b.isLinkUp(), { description: 'links down' });
    await waitFor(async () => (await group.agreedMasterPort()) === group.replicas[0].port, {
      timeoutMs: 45_000,
      intervalMs: 200,
      description: 'the two answering Sentinels promote the replica',
    });
    await waitFor(() => a.isLinkUp() && b.isLinkUp(), {
      timeoutMs: 30_000,
      description: 'both links up on the promoted replica',
    });
    const atB = frames(b);
    a.channel('tracker').broadcast(Buffer.from('after'));
    await waitFor(() => atB.length === 1, { description: 'a frame after the failover' });
    await waitFor(() => lastSeen.record('alice', 3_000).then(() => true), {
      timeoutMs: 20_000,
      description: 'a last-seen write on the new master',
    });
  }, 120_000);
});
