/**
 * Counts on two `graph-presence` processes over a real redis-server: cluster-wide online users
 * and connections on either node (an invisible user not counted), friends online answered by
 * the node a user is connected to (maintained) and by the other (from the graph), a count-only
 * room adding up members of both nodes, the gauges, and a node's SIGTERM removing its share at
 * once (the down period is a minute, so only the announced leave explains it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { stopCli } from './support/cli-process.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';
import { type CliNode, startTwoNodes, type TwoNodes } from './support/two-nodes.js';

const SECRET = 'counts-cluster-test-secret-of-32-bytes';
const ADMIN = 'counts-admin-token-0123456789';
const WAIT = { timeoutMs: 10_000 };

async function admin(url: string, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

async function online(url: string): Promise<string> {
  const { users, connections } = await admin(url, '/admin/counts');
  return `${users}/${connections}`;
}

describe('counts on a cluster of two graph-presence nodes over Redis', () => {
  let cluster: TwoNodes;
  let node1: CliNode;
  let node2: CliNode;
  const clients: WatchedClient[] = [];

  beforeAll(async () => {
    cluster = await startTwoNodes({ secret: SECRET, extraArgs: ['--admin-token', ADMIN] });
    ({ node1, node2 } = cluster);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.client.disconnect();
    await cluster?.stop();
  });

  it('count online users cluster-wide on either node, not the invisible one', async () => {
    const alice = await connectClient(node1.url, 'alice');
    const carol = await connectClient(node1.url, 'carol');
    const bob = await connectClient(node2.url, 'bob');
    const dave = await connectClient(node2.url, 'dave');
    clients.push(alice, carol, bob, dave);
    await carol.client.setInvisible(true);
    for (const node of [node1, node2]) {
      await waitFor(async () => (await online(node.url)) === '3/3', {
        ...WAIT,
        description: `${node.url} counts alice, bob and dave`,
      });
    }
    const metrics = await (
      await fetch(`${node2.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).text();
    expect(metrics).toMatch(/^presence_online_users 3$/m);
    expect(metrics).toMatch(/^presence_online_connections 3$/m);
  });

  it("count a user's friends online on their node and on the other", async () => {
    // alice's friends: bob (online on node 2) and carol (invisible): one.
    const answers = async (user: string) =>
      JSON.stringify([
        await admin(node1.url, `/admin/counts/friends?user=${user}`),
        await admin(node2.url, `/admin/counts/friends?user=${user}`),
      ]);
    await waitFor(
      async () =>
        (await answers('alice')) ===
        JSON.stringify([
          { user: 'alice', online: 1, source: 'maintained' },
          { user: 'alice', online: 1, source: 'graph' },
        ]),
      { ...WAIT, description: "alice's friends online on both nodes" },
    );
    // bob's friends: alice, carol (invisible), dave: two.
    await waitFor(
      async () =>
        (await answers('bob')) ===
        JSON.stringify([
          { user: 'bob', online: 2, source: 'graph' },
          { user: 'bob', online: 2, source: 'maintained' },
        ]),
      { ...WAIT, description: "bob's friends online on both nodes" },
    );
  });

  it('add up a count-only room across nodes; a stopped node takes its share with it', async () => {
    const [alice, , bob, dave] = clients as [
      WatchedClient,
      WatchedClient,
      WatchedClient,
      WatchedClient,
    ];
    const heard: number[] = [];
    alice.client.on('count', (room, count) => room === 'lobby' && heard.push(count));
    await alice.client.joinRoom('lobby');
    await bob.client.joinRoom('lobby');
    await dave.client.joinRoom('lobby');
    await waitFor(() => heard.at(-1) === 3, { ...WAIT, description: 'alice hears 3' });
    for (const node of [node1, node2]) {
      expect(await admin(node.url, '/admin/counts/room?room=lobby')).toEqual({
        room: 'lobby',
        count: 3,
      });
    }

    await stopCli(node2.run);
    await waitFor(() => heard.at(-1) === 1, { ...WAIT, description: 'alice hears 1' });
    expect(await online(node1.url)).toBe('1/1');
  });
});
