/**
 * The Redis last-seen store against the real server on 127.0.0.1:6379 (a unique key prefix per
 * fixture, deleted afterwards), and against a redis-server of its own for an outage.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLastSeenStore } from '../../src/last-seen/redis-last-seen-store.js';
import type { LastSeenStore } from '../../src/ports/last-seen-store.js';
import { describeLastSeenStoreContract } from '../contracts/last-seen-store.contract.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { startTcpLink } from './support/tcp-link.js';

const REDIS_URL = process.env['REDIS_TEST_URL'] ?? 'redis://127.0.0.1:6379';
const newPrefix = () => `gp-test-last-seen:${randomBytes(6).toString('hex')}:`;

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

describeLastSeenStoreContract(
  'redis',
  async () => {
    const keyPrefix = newPrefix();
    const raw = new Redis(REDIS_URL);
    const opened: LastSeenStore[] = [];
    return {
      async open(options) {
        const store = await RedisLastSeenStore.connect({
          url: REDIS_URL,
          keyPrefix,
          logger: options?.logger,
          now: options?.now,
          clusterSecret: options?.clusterSecret,
          previousClusterSecret: options?.previousClusterSecret,
        });
        opened.push(store);
        return store;
      },
      refusedValues: (store) => (store as RedisLastSeenStore).refusedValues,
      async readRaw(user) {
        const [at, atMac, visibility, visibilityMac] = await raw.hmget(
          `${keyPrefix}${user}`,
          'at',
          'at_mac',
          'visibility',
          'visibility_mac',
        );
        return {
          at: at ?? null,
          atMac: atMac ?? null,
          visibility: visibility ?? null,
          visibilityMac: visibilityMac ?? null,
        };
      },
      async writeRaw(user, values) {
        const key = `${keyPrefix}${user}`;
        const fields = {
          at: 'at',
          atMac: 'at_mac',
          visibility: 'visibility',
          visibilityMac: 'visibility_mac',
        } as const;
        for (const [name, field] of Object.entries(fields)) {
          const value = values[name as keyof typeof fields];
          if (value === null) await raw.hdel(key, field);
          else if (value !== undefined) await raw.hset(key, field, value);
        }
      },
      corruptions: {
        'not-a-number': async (user) => {
          await raw.hset(`${keyPrefix}${user}`, 'at', 'yesterday');
        },
        negative: async (user) => {
          await raw.hset(`${keyPrefix}${user}`, 'at', '-5');
        },
        fraction: async (user) => {
          await raw.hset(`${keyPrefix}${user}`, 'at', '1.5');
        },
        'unknown-visibility': async (user) => {
          await raw.hset(`${keyPrefix}${user}`, 'at', '5', 'visibility', 'everyone');
        },
        'not-a-hash': async (user) => {
          await raw.set(`${keyPrefix}${user}`, '5');
        },
      },
      async cleanup() {
        await Promise.all(opened.map((store) => store.close()));
        await deleteKeys(raw, keyPrefix);
        await raw.quit();
      },
    };
  },
  { persistent: true },
);

describe('redis last-seen store', () => {
  const keyPrefix = newPrefix();
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await deleteKeys(raw, keyPrefix);
    await raw.quit();
  });

  it('keeps one hash per user: at (decimal ms) and visibility', async () => {
    const store = await RedisLastSeenStore.connect({ url: REDIS_URL, keyPrefix });
    try {
      await store.record('alice', 1_700_000_000_123);
      await store.setVisibility('alice', 'nobody');
      expect(await raw.hgetall(`${keyPrefix}alice`)).toEqual({
        at: '1700000000123',
        visibility: 'nobody',
      });
    } finally {
      await store.close();
    }
  });

  it('repairs a bad stored value on the next record', async () => {
    const store = await RedisLastSeenStore.connect({ url: REDIS_URL, keyPrefix });
    try {
      for (const bad of ['garbage', '-5', '1e20', '1.5', '9007199254740993', '12345678901234567']) {
        await raw.hset(`${keyPrefix}broken`, 'at', bad);
        expect((await store.get(['broken'])).size, bad).toBe(0);
        await store.record('broken', 9);
        expect((await store.get(['broken'])).get('broken')?.lastSeen, bad).toBe(9);
      }
    } finally {
      await store.close();
    }
  });

  it('loads its script again after SCRIPT FLUSH (as after a Redis restart)', async () => {
    const store = await RedisLastSeenStore.connect({ url: REDIS_URL, keyPrefix });
    try {
      await store.record('flushed', 1);
      await raw.script('FLUSH');
      await store.record('flushed', 2);
      expect((await store.get(['flushed'])).get('flushed')?.lastSeen).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('uses an injected client and never closes it', async () => {
    const client = new Redis(REDIS_URL);
    const store = await RedisLastSeenStore.connect({ client, keyPrefix });
    await store.record('injected', 3);
    await store.close();
    expect(await client.ping()).toBe('PONG');
    expect(await client.hget(`${keyPrefix}injected`, 'at')).toBe('3');
    await client.quit();
  });

  it('fails to connect to an unreachable Redis with PRESENCE_LAST_SEEN_UNAVAILABLE', async () => {
    await expect(
      RedisLastSeenStore.connect({ url: 'redis://127.0.0.1:1', timeoutMs: 1_000 }),
    ).rejects.toMatchObject({
      code: expect.stringMatching(/^PRESENCE_LAST_SEEN_(UNAVAILABLE|TIMEOUT)$/),
    });
  });

  it('refuses bad options', async () => {
    await expect(RedisLastSeenStore.connect({})).rejects.toMatchObject({
      code: 'PRESENCE_INVALID_OPTION',
    });
    await expect(
      RedisLastSeenStore.connect({ url: REDIS_URL, timeoutMs: 0 }),
    ).rejects.toMatchObject({
      code: 'PRESENCE_INVALID_OPTION',
    });
  });
});

describe('redis last-seen store: an outage', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('rejects instead of hanging while Redis is down, and recovers when it is back', async () => {
    const store = await RedisLastSeenStore.connect({ url: server.url, timeoutMs: 500 });
    try {
      await store.record('alice', 1);
      await server.stop({ signal: 'SIGKILL' });
      const unavailable = {
        code: expect.stringMatching(/^PRESENCE_LAST_SEEN_(UNAVAILABLE|TIMEOUT)$/),
      };
      await expect(store.get(['alice'])).rejects.toMatchObject(unavailable);
      await expect(store.record('alice', 2)).rejects.toMatchObject(unavailable);
      await expect(store.setVisibility('alice', 'nobody')).rejects.toMatchObject(unavailable);

      await server.start();
      // The server keeps nothing (no persistence): a new record and read prove the recovery.
      await waitFor(
        async () => {
          await store.record('alice', 3);
          return (await store.get(['alice'])).get('alice')?.lastSeen === 3;
        },
        { timeoutMs: 15_000, intervalMs: 100, description: 'the store works again' },
      );
    } finally {
      await store.close();
    }
  });
});

describe('redis last-seen store: a Redis that stops answering', () => {
  it('rejects with PRESENCE_LAST_SEEN_TIMEOUT while stalled, and answers rightly after', async () => {
    const link = await startTcpLink(Number(new URL(REDIS_URL).port || 6379));
    const keyPrefix = newPrefix();
    const raw = new Redis(REDIS_URL);
    const store = await RedisLastSeenStore.connect({
      url: `redis://127.0.0.1:${link.port}`,
      keyPrefix,
      timeoutMs: 2_000, // connecting through the test link on a loaded machine can take a while
    });
    try {
      await store.record('alice', 1);
      link.stall();
      const timedOut = { code: 'PRESENCE_LAST_SEEN_TIMEOUT' };
      await expect(store.get(['alice'])).rejects.toMatchObject(timedOut);
      await expect(store.record('alice', 2)).rejects.toMatchObject(timedOut);
      await link.restore();
      // Replies that were late still pair with their own commands: reads stay right.
      await waitFor(
        async () => {
          await store.record('bob', 7);
          const found = await store.get(['alice', 'bob']);
          return found.get('bob')?.lastSeen === 7 && found.get('alice')?.lastSeen === 2;
        },
        { timeoutMs: 15_000, intervalMs: 100, description: 'the store answers again' },
      );
    } finally {
      await store.close();
      await link.close();
      await deleteKeys(raw, keyPrefix);
      await raw.quit();
    }
  });
});
