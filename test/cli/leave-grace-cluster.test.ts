/**
 * Leave grace with two real `graph-presence` processes over a real redis-server and the client
 * SDK: a device whose connection drops from node 1 (its engine cut, no socket.io disconnect
 * packet: the network loss a deploy or a flaky link makes) and that reconnects to node 2 within
 * the grace is never offline for its friend on either node. And when node 1 is killed instead,
 * the device that moved to node 2 stays online for its friend through node 1's down period.
 *
 * The grace is a minute: "within grace" never depends on how fast this machine is. Assertions are
 * on the order of what the friends saw, never on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { stopCli } from './support/cli-process.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';
import { startTwoNodes, type TwoNodes } from './support/two-nodes.js';

const SECRET = 'leave-grace-cluster-secret-of-32-bytes';
const ADMIN = 'leave-grace-admin-token-0123456789';
const WAIT = { timeoutMs: 15_000 };

let cluster: TwoNodes | undefined;
let clients: WatchedClient[] = [];

afterEach(async () => {
  for (const c of clients) c.client.disconnect();
  clients = [];
  await cluster?.stop();
  cluster = undefined;
});

async function open(url: string, user: string, device: string): Promise<WatchedClient> {
  const client = await connectClient(url, user, { device });
  clients.push(client);
  return client;
}

/** Records whether `user` is in the viewer's view after every payload it gets from now on. */
function watch(viewer: WatchedClient, user: string): boolean[] {
  const shown: boolean[] = [];
  const record = () => shown.push(viewer.users().includes(user));
  // Registered after the SDK's own listeners: the view is already updated when these run.
  viewer.client.socket.on('presence_state', record);
  viewer.client.socket.on('presence_diff', record);
  return shown;
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const headers = { authorization: `Bearer ${ADMIN}` };
  const text = await (await fetch(`${url}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const refs = (viewer: WatchedClient, user: string) =>
  (viewer.client.get(user)?.metas ?? []).map((m) => m.phx_ref);

describe('leave grace across two real nodes', () => {
  it('a device dropped from node 1 and back on node 2 within grace: its friends never see it offline', async () => {
    cluster = await startTwoNodes({
      secret: SECRET,
      extraArgs: ['--leave-grace-ms', '60000', '--admin-token', ADMIN],
    });
    const { node1, node2 } = cluster;
    const bobOn1 = await open(node1.url, 'bob', 'bob-1');
    const bobOn2 = await open(node2.url, 'bob', 'bob-2');
    const phone = await open(node1.url, 'alice', 'phone');
    await waitFor(() => bobOn1.users().includes('alice') && bobOn2.users().includes('alice'), {
      ...WAIT,
      description: 'bob sees alice on both nodes',
    });
    const oldRefs = refs(bobOn1, 'alice');
    const shown = [watch(bobOn1, 'alice'), watch(bobOn2, 'alice')];

    // The network loss: the engine closes, no socket.io disconnect packet reaches node 1.
    phone.client.socket.io.engine.close();
    await waitFor(async () => (await metric(node1.url, 'presence_graced_connections')) === 1, {
      ...WAIT,
      description: 'node 1 keeps alice in her grace',
    });
    await open(node2.url, 'alice', 'phone');

    for (const bob of [bobOn1, bobOn2]) {
      await waitFor(
        () => {
          const now = refs(bob, 'alice');
          return now.length === 1 && !oldRefs.includes(now[0]!);
        },
        { ...WAIT, description: 'bob sees only alice’s new connection' },
      );
    }
    expect(await metric(node1.url, 'presence_leave_grace_resumed_total')).toBe(1);
    expect(await metric(node1.url, 'presence_graced_connections')).toBe(0);
    expect(await metric(node1.url, 'presence_leave_grace_expired_total')).toBe(0);
    // Each bob got at least the join and the leave, and alice was in his view after every one.
    for (const seen of shown) {
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect(seen.every(Boolean)).toBe(true);
    }
  }, 90_000);

  it('node 1 killed: the device that moved to node 2 stays online through node 1’s down period', async () => {
    cluster = await startTwoNodes({
      secret: SECRET,
      // No crash grace: the old connection leaves at the down (crash-takeover.test.ts has the
      // grace and a takeover by the same lineage; this new client has a lineage of its own).
      extraArgs: [
        ...['--down-period-ms', '2000', '--leave-grace-ms', '60000', '--admin-token', ADMIN],
        ...['--crash-grace-ms', '0'],
      ],
    });
    const { node1, node2 } = cluster;
    const bob = await open(node2.url, 'bob', 'bob-2');
    await open(node1.url, 'alice', 'phone');
    await waitFor(() => bob.users().includes('alice'), { ...WAIT, description: 'bob sees alice' });
    const oldRefs = refs(bob, 'alice');
    const shown = watch(bob, 'alice');

    await stopCli(node1.run, 'SIGKILL');
    await open(node2.url, 'alice', 'phone');
    await waitFor(
      async () => {
        const health = (await (await fetch(`${node2.url}/healthz`)).json()) as {
          replicas: { down: number };
        };
        return health.replicas.down === 1;
      },
      { ...WAIT, description: 'node 2 marks node 1 down' },
    );
    await waitFor(
      () => {
        const now = refs(bob, 'alice');
        return now.length === 1 && !oldRefs.includes(now[0]!);
      },
      { ...WAIT, description: 'only alice’s connection on node 2 is left' },
    );
    expect(shown.every(Boolean)).toBe(true);
  }, 90_000);
});
