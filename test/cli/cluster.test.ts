/**
 * Two `graph-presence` processes over a real redis-server: friends on different nodes see each
 * other and each other's status changes, non-friends never appear, and a node stopped with
 * SIGTERM announces its leave so its users disappear from the other node at once. The down
 * period is a minute, so only the announced leave can explain a prompt departure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { stopCli } from './support/cli-process.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';
import { type CliNode, startTwoNodes, type TwoNodes } from './support/two-nodes.js';

const SECRET = 'cluster-test-secret-of-at-least-32-bytes';
const LEAVE_WAIT_MS = 10_000;

async function healthz(url: string): Promise<{ status: string; replicas: { up: number } }> {
  return (await (await fetch(`${url}/healthz`)).json()) as {
    status: string;
    replicas: { up: number };
  };
}

describe('a cluster of two graph-presence nodes over Redis', () => {
  let cluster: TwoNodes;
  let redis: RedisServer;
  let node1: CliNode;
  let node2: CliNode;
  const clients: WatchedClient[] = [];
  let alice: WatchedClient;
  let bob: WatchedClient;
  let heidi: WatchedClient;
  let ivan: WatchedClient;

  beforeAll(async () => {
    cluster = await startTwoNodes({ secret: SECRET });
    ({ redis, node1, node2 } = cluster);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.client.disconnect();
    await cluster?.stop();
  });

  it('friends connected to different nodes see each other', async () => {
    alice = await connectClient(node1.url, 'alice', { device: 'laptop' });
    heidi = await connectClient(node1.url, 'heidi');
    bob = await connectClient(node2.url, 'bob', { device: 'phone' });
    ivan = await connectClient(node2.url, 'ivan');
    clients.push(alice, heidi, bob, ivan);
    await waitFor(() => alice.users().includes('bob') && bob.users().includes('alice'), {
      timeoutMs: 10_000,
      description: 'alice (node 1) and bob (node 2) see each other',
    });
    await waitFor(() => heidi.users().includes('ivan') && ivan.users().includes('heidi'), {
      timeoutMs: 10_000,
      description: 'heidi (node 1) and ivan (node 2) see each other',
    });
    expect(alice.client.get('bob')?.metas.map((m) => m.device)).toEqual(['phone']);
  });

  it("each sees the other's status change", async () => {
    await bob.client.setStatus('away');
    await waitFor(() => alice.status('bob').includes('away'), {
      timeoutMs: 10_000,
      description: "alice sees bob's status across nodes",
    });
    await alice.client.setStatus('busy');
    await waitFor(() => bob.status('alice').includes('busy'), {
      timeoutMs: 10_000,
      description: "bob sees alice's status across nodes",
    });
  });

  it('a non-friend on either node never appears', () => {
    for (const viewer of [alice, bob]) {
      expect(viewer.seen.has('heidi')).toBe(false);
      expect(viewer.seen.has('ivan')).toBe(false);
    }
    for (const viewer of [heidi, ivan]) {
      expect(viewer.seen.has('alice')).toBe(false);
      expect(viewer.seen.has('bob')).toBe(false);
    }
    expect(alice.users()).toEqual(['alice', 'bob']);
    expect(heidi.users()).toEqual(['heidi', 'ivan']);
  });

  it("SIGTERM on node 2: its users leave node 1's views promptly, and it exits 0", async () => {
    const exit = await stopCli(node2.run);
    expect(exit).toEqual({ code: 0, signal: null });
    await waitFor(() => !alice.users().includes('bob') && !heidi.users().includes('ivan'), {
      timeoutMs: LEAVE_WAIT_MS,
      description: "node 2's users gone from node 1's clients (graceful leave)",
    });
    expect(alice.users()).toEqual(['alice']);
    expect((await healthz(node1.url)).status).toBe('ok');
  });

  it('/healthz answers 503 while the Redis link is down, 200 again once it is back', async () => {
    await redis.stop();
    await waitFor(async () => (await fetch(`${node1.url}/healthz`)).status === 503, {
      timeoutMs: 10_000,
      description: 'node 1 unhealthy without Redis',
    });
    await redis.start();
    await waitFor(async () => (await fetch(`${node1.url}/healthz`)).status === 200, {
      timeoutMs: 20_000,
      description: 'node 1 healthy again',
    });
  });
});
