/**
 * The last-seen store under the cluster secret's trust (issue 21, finding 3): a real
 * `graph-presence` node over a test-owned redis-server with a cluster secret, whose last seen
 * defaults to that Redis; an attacker who can write to Redis but does not hold the secret (a plain
 * ioredis connection) edits the stored hashes as docs/last-seen.md describes them. Demo graph:
 * alice is friends with bob and carol.
 *
 * - One HSET of `visibility` must not turn bob's `nobody` into `friends` for alice. Absence is
 *   shown by a marker: carol's last seen comes in the same `presence_last_seen` event.
 * - A stored time in the year 2286 must not freeze carol's last seen: her next offline is
 *   recorded and is what alice sees.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { connectClient, type WatchedClient } from '../cli/support/presence-clients.js';
import { TEST_CLUSTER_SECRET } from '../cli/support/two-nodes.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const KEY = (user: string) => `graph-presence:last-seen:${user}`;
const YEAR_2286 = Date.UTC(2286, 0, 1);
const WAIT = { timeoutMs: 10_000 };
const ADMIN_TOKEN = 'last-seen-trust-admin-token';

async function refusedTotal(): Promise<number> {
  const text = await (
    await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).text();
  const line = text.split('\n').find((l) => l.startsWith('presence_last_seen_refused_total '));
  return Number(line?.split(' ').pop() ?? Number.NaN);
}

let redis: RedisServer;
let node: { run: CliRun; url: string };
let attacker: Redis;
const clients: WatchedClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  node = await startCli(
    [
      ...['--port', '0', '--redis', redis.url, '--node-name', 'node-1', '--demo'],
      ...['--jwt-secret', 'last-seen-trust-jwt-secret-of-32-bytes'],
      ...['--offline-delay-ms', '200', '--leave-grace-ms', '0'],
      ...['--admin-token', ADMIN_TOKEN],
    ],
    { PRESENCE_CLUSTER_SECRET: TEST_CLUSTER_SECRET },
  );
  attacker = new Redis(redis.url);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.client.disconnect();
  attacker?.disconnect();
  if (node) await stopCli(node.run);
  killAll();
  await redis?.dispose();
});

async function connect(user: string): Promise<WatchedClient> {
  const client = await connectClient(node.url, user);
  clients.push(client);
  await waitFor(() => client.users().includes(user), WAIT);
  return client;
}

/** Connects `user` and disconnects; resolves once a last seen other than `before` is stored. */
async function goOffline(user: string, before: string | null = null): Promise<string> {
  const client = await connect(user);
  client.client.disconnect();
  let stored: string | null = null;
  await waitFor(
    async () => {
      stored = await attacker.hget(KEY(user), 'at');
      return stored !== null && stored !== before;
    },
    { ...WAIT, description: `a new last seen of ${user} in the store` },
  );
  return stored as unknown as string;
}

describe('the last-seen store in the cluster Redis, with a cluster secret', () => {
  it("one HSET does not turn a user's nobody into friends", async () => {
    const bob = await connect('bob');
    await bob.client.setLastSeenVisibility('nobody');
    bob.client.disconnect();
    await waitFor(async () => (await attacker.hget(KEY('bob'), 'at')) !== null, WAIT);
    await goOffline('carol');

    await attacker.hset(KEY('bob'), 'visibility', 'friends');

    const alice = await connect('alice');
    await waitFor(() => typeof alice.client.lastSeenOf('carol') === 'number', {
      ...WAIT,
      description: "alice gets carol's last seen (the marker)",
    });
    expect(alice.client.lastSeenOf('bob') ?? null).toBeNull();
    expect(await refusedTotal()).toBeGreaterThanOrEqual(1);
    alice.client.disconnect();
  });

  it("a stored time in the year 2286 does not freeze a user's last seen", async () => {
    await attacker.hset(KEY('carol'), 'at', String(YEAR_2286));
    const before = Date.now();
    const stored = await goOffline('carol', String(YEAR_2286));
    expect(Number(stored)).toBeGreaterThanOrEqual(before);

    const alice = await connect('alice');
    await waitFor(() => typeof alice.client.lastSeenOf('carol') === 'number', WAIT);
    const shown = alice.client.lastSeenOf('carol') as number;
    expect(shown).toBeGreaterThanOrEqual(before);
    expect(shown).toBeLessThan(Date.now() + 60_000);
    alice.client.disconnect();
  });
});
