/** The Redis adapter against the real Redis on 127.0.0.1:6379, one random key prefix per test. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisFriendsGraph } from '../../graph-adapters/redis/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { recordChanges } from '../contracts/change-recorder.js';
import { describeFriendsGraphContract } from '../contracts/friends-graph.contract.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

const newPrefix = () => `test:${randomUUID()}:`;

describeFriendsGraphContract('redis', async () => {
  const keyPrefix = newPrefix();
  const opened: FriendsGraph[] = [];
  // The first adapter uses an injected client, later ones their own connections.
  const injected = new Redis(REDIS_URL);
  const writer = await RedisFriendsGraph.connect({ url: REDIS_URL, keyPrefix });
  return {
    async open() {
      const options = opened.length === 0 ? { client: injected } : { url: REDIS_URL };
      const adapter = await RedisFriendsGraph.connect({ ...options, keyPrefix });
      opened.push(adapter);
      return adapter;
    },
    addEdge: (source, target, directed) => writer.addEdge(source, target, { directed }),
    removeEdge: (source, target, directed) => writer.removeEdge(source, target, { directed }),
    addEdges: (edges) => writer.addEdges(edges),
    async cleanup() {
      await Promise.all([...opened, writer].map((adapter) => adapter.close()));
      await deleteKeys(injected, keyPrefix);
      await injected.quit();
    },
  };
});

describe('redis adapter', () => {
  let client: Redis;
  let keyPrefix: string;
  beforeAll(() => {
    client = new Redis(REDIS_URL);
    keyPrefix = newPrefix();
  });
  afterAll(async () => {
    await deleteKeys(client, keyPrefix);
    await client.quit();
  });

  it('keeps the documented key schema: symmetric friends sets, follows sets', async () => {
    const graph = await RedisFriendsGraph.connect({ client, keyPrefix });
    await graph.addEdge('user:1', 'user:2');
    await graph.addEdge('user:1', 'user:3', { directed: true });
    expect(await client.smembers(`${keyPrefix}friends:user:1`)).toEqual(['user:2']);
    expect(await client.smembers(`${keyPrefix}friends:user:2`)).toEqual(['user:1']);
    expect(await client.smembers(`${keyPrefix}follows:user:1`)).toEqual(['user:3']);
    expect(await client.exists(`${keyPrefix}follows:user:3`)).toBe(0);
    await graph.close();
    expect(client.status).toBe('ready');
  });

  it('answers many users in one pipelined call', async () => {
    const graph = await RedisFriendsGraph.connect({ client, keyPrefix });
    await graph.addEdges([
      ['m1', 'm2'],
      ['m1', 'm3', true],
    ]);
    const [m1, m2, m3, unknown] = await graph.visibleToMany(['m1', 'm2', 'm3', 'nobody']);
    expect(m1?.sort()).toEqual(['m2', 'm3']);
    expect(m2).toEqual(['m1']);
    expect(m3).toEqual([]);
    expect(unknown).toEqual([]);
    await graph.close();
  });

  it('reports changes another process publishes in the documented JSON, drops bad ones', async () => {
    const errors: Error[] = [];
    const graph = await RedisFriendsGraph.connect({
      client,
      keyPrefix,
      onError: (error) => errors.push(error),
    });
    const recorder = recordChanges(graph);
    const channel = `${keyPrefix}changes`;
    await client.publish(channel, 'not json');
    await client.publish(channel, JSON.stringify({ kind: 'edge-added', source: 'x' }));
    await client.publish(channel, JSON.stringify({ kind: 'visibility-changed', viewers: ['v'] }));
    await recorder.waitFor((changes) => changes.length === 1);
    expect(recorder.changes).toEqual([{ kind: 'visibility-changed', viewers: ['v'] }]);
    expect(errors.map((error) => (error as { code?: string }).code)).toEqual([
      'PRESENCE_GRAPH_INVALID_DATA',
      'PRESENCE_GRAPH_INVALID_DATA',
    ]);
    await graph.close();
  });

  it('reports a key of the wrong type as PRESENCE_GRAPH_INVALID_DATA', async () => {
    const graph = await RedisFriendsGraph.connect({ client, keyPrefix });
    await client.set(`${keyPrefix}friends:broken`, 'not a set');
    await expect(graph.visibleTo('broken')).rejects.toMatchObject({
      code: 'PRESENCE_GRAPH_INVALID_DATA',
    });
    await graph.close();
  });

  it('fails with a typed error, not a crash, when Redis does not answer', async () => {
    // A TCP server that accepts connections and never replies: every call hits the deadline.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const errors: Error[] = [];
    await expect(
      RedisFriendsGraph.connect({
        url: `redis://127.0.0.1:${port}`,
        timeoutMs: 200,
        onError: (error) => errors.push(error),
      }),
    ).rejects.toMatchObject({ name: 'GraphProviderError', code: 'PRESENCE_GRAPH_TIMEOUT' });
    silent.close();
    expect(errors.every((error) => error.name === 'GraphProviderError')).toBe(true);
  });

  it('rejects missing connection options with PRESENCE_INVALID_OPTION', async () => {
    await expect(RedisFriendsGraph.connect({})).rejects.toMatchObject({
      code: 'PRESENCE_INVALID_OPTION',
    });
  });
});
