/**
 * Silent takeover after a crash, with two real `graph-presence` processes over a real
 * redis-server, the client SDK and a webhook receiver: node 1 is SIGKILLed while alice has two
 * devices on it; one device reconnects to node 2 before node 2 marks node 1 down, the other
 * after (its entry then held for the crash grace). Both reconnect with the lineage they had, and
 * the status they had: bob, watching from node 2, is sent nothing at all for alice (no leave, no
 * join, the same `phx_ref`s), and no `user.offline` (nor a second `user.online`) goes out for her.
 *
 * Then a node started during the grace: it learns the held entries from node 2's transfer, so
 * a friend connecting there sees alice, and her device reconnecting there is a takeover too.
 *
 * Down period 2 s, crash grace a minute: "within the grace" never depends on this machine's
 * speed. No timing assertions: a sentinel user's own offline webhook (due after any alice's would
 * have been) and bob seeing a sentinel join (diffs reach a socket in order) say when to look.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { type CliRun, killAll, startCli, stopCli } from './support/cli-process.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';
import { TEST_CLUSTER_SECRET } from './support/two-nodes.js';

const JWT_SECRET = 'crash-takeover-jwt-secret-of-32-bytes';
const WEBHOOK_SECRET = 'crash-takeover-webhook-secret-32b!!';
const WAIT = { timeoutMs: 20_000 };

interface Hook {
  readonly type: string;
  readonly user: string;
}

let redis: RedisServer | undefined;
let runs: CliRun[] = [];
let clients: WatchedClient[] = [];
let receiver: Server | undefined;

afterEach(async () => {
  for (const c of clients) c.client.disconnect();
  clients = [];
  await Promise.all(runs.map((run) => stopCli(run)));
  runs = [];
  killAll();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  receiver = undefined;
  await redis?.dispose();
  redis = undefined;
});

async function startReceiver(): Promise<{ url: string; hooks: Hook[] }> {
  const hooks: Hook[] = [];
  receiver = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    request.on('end', () => {
      const body = JSON.parse(raw) as { type: string; user?: string; data?: { user?: string } };
      hooks.push({ type: body.type, user: String(body.user ?? body.data?.user) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, hooks };
}

async function open(url: string, user: string, device: string, lineage?: string) {
  const client = await connectClient(url, user, {
    device,
    ...(lineage === undefined ? {} : { lineage }),
  });
  clients.push(client);
  return client;
}

async function downs(url: string): Promise<number> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as { replicas: { down: number } };
  return health.replicas.down;
}

describe('silent takeover after a crash (two real nodes)', () => {
  it('devices back on node 2 with their lineage: bob is sent nothing for alice, no webhooks', async () => {
    const { url: hookUrl, hooks } = await startReceiver();
    redis = await startRedisServer();
    const args = (name: string) => [
      ...['--port', '0', '--redis', redis!.url, '--node-name', name, '--demo'],
      ...['--broadcast-period-ms', '100', '--down-period-ms', '2000'],
      ...['--permdown-period-ms', '120000', '--crash-grace-ms', '60000'],
      ...['--webhook-url', hookUrl, '--offline-delay-ms', '1000', '--leave-grace-ms', '0'],
    ];
    const env = {
      PRESENCE_CLUSTER_SECRET: TEST_CLUSTER_SECRET,
      PRESENCE_JWT_SECRET: JWT_SECRET,
      PRESENCE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    };
    const [node1, node2] = await Promise.all([
      startCli(args('node-1'), env),
      startCli(args('node-2'), env),
    ]);
    runs = [node1.run, node2.run];
    await waitFor(async () => (await downs(node1.url)) === 0 && (await downs(node2.url)) === 0, {
      ...WAIT,
      description: 'the nodes see each other',
    });
    await waitFor(
      async () => {
        const health = await Promise.all(
          [node1, node2].map(async (n) => (await fetch(`${n.url}/healthz`)).json()),
        );
        return health.every((h) => (h as { replicas: { up: number } }).replicas.up === 1);
      },
      { ...WAIT, description: 'each node sees the other up' },
    );

    const bob = await open(node2.url, 'bob', 'bob-2');
    await open(node1.url, 'alice', 'phone', 'alice-phone-lineage');
    await open(node1.url, 'alice', 'laptop', 'alice-laptop-lineage');
    await waitFor(() => (bob.client.get('alice')?.metas.length ?? 0) === 2, {
      ...WAIT,
      description: 'bob sees both of alice’s devices',
    });
    await waitFor(() => hooks.some((h) => h.type === 'user.online' && h.user === 'alice'), {
      ...WAIT,
      description: 'alice’s user.online',
    });
    const refsBefore = bob.client
      .get('alice')!
      .metas.map((m) => m.phx_ref)
      .sort();
    // Everything bob is sent about alice from now on.
    const aboutAlice: string[] = [];
    bob.client.socket.on('presence_diff', (diff: { joins?: object; leaves?: object }) => {
      if (diff.joins && 'alice' in diff.joins) aboutAlice.push('join');
      if (diff.leaves && 'alice' in diff.leaves) aboutAlice.push('leave');
    });
    bob.client.socket.on('presence_state', (state: object) => {
      if (!('alice' in state)) aboutAlice.push('state without alice');
    });

    await stopCli(node1.run, 'SIGKILL');
    // The phone is back before node 2 marks node 1 down: it outranks its old entry at once.
    await open(node2.url, 'alice', 'phone', 'alice-phone-lineage');
    await waitFor(async () => (await downs(node2.url)) === 1, {
      ...WAIT,
      description: 'node 2 marks node 1 down',
    });
    // The laptop is back after: its entry was held for the crash grace.
    await open(node2.url, 'alice', 'laptop', 'alice-laptop-lineage');

    // Sentinels: a join bob must see (after anything owed for alice), and an offline webhook due
    // after any alice's would have been.
    await open(node2.url, 'carol', 'carol-1');
    await waitFor(() => bob.users().includes('carol'), { ...WAIT, description: 'bob sees carol' });
    const eve = await open(node2.url, 'eve', 'eve-1');
    eve.client.disconnect();
    await waitFor(() => hooks.some((h) => h.type === 'user.offline' && h.user === 'eve'), {
      ...WAIT,
      description: 'eve’s user.offline',
    });
    // A second sentinel after the laptop's takeover settled everywhere.
    await open(node2.url, 'carol', 'carol-2');
    await waitFor(() => (bob.client.get('carol')?.metas.length ?? 0) === 2, {
      ...WAIT,
      description: 'bob sees carol’s second device',
    });

    expect(aboutAlice).toEqual([]);
    expect(
      bob.client
        .get('alice')!
        .metas.map((m) => m.phx_ref)
        .sort(),
    ).toEqual(refsBefore);
    const aliceHooks = hooks.filter((h) => h.user === 'alice').map((h) => h.type);
    expect(aliceHooks).toEqual(['user.online']);
  }, 120_000);

  it('a node started during the grace holds the crashed node’s entries: bob there sees alice, and her device back there is a takeover', async () => {
    redis = await startRedisServer();
    const args = (name: string) => [
      ...['--port', '0', '--redis', redis!.url, '--node-name', name, '--demo'],
      ...['--broadcast-period-ms', '100', '--down-period-ms', '2000'],
      ...['--permdown-period-ms', '120000', '--crash-grace-ms', '60000', '--leave-grace-ms', '0'],
    ];
    const env = { PRESENCE_CLUSTER_SECRET: TEST_CLUSTER_SECRET, PRESENCE_JWT_SECRET: JWT_SECRET };
    const [node1, node2] = await Promise.all([
      startCli(args('node-1'), env),
      startCli(args('node-2'), env),
    ]);
    runs = [node1.run, node2.run];
    await waitFor(
      async () => {
        const health = await Promise.all(
          [node1, node2].map(async (n) => (await fetch(`${n.url}/healthz`)).json()),
        );
        return health.every((h) => (h as { replicas: { up: number } }).replicas.up === 1);
      },
      { ...WAIT, description: 'each node sees the other up' },
    );
    const bob = await open(node2.url, 'bob', 'bob-2');
    await open(node1.url, 'alice', 'laptop', 'alice-laptop-lineage');
    await waitFor(() => (bob.client.get('alice')?.metas.length ?? 0) === 1, {
      ...WAIT,
      description: 'bob sees alice',
    });
    const refBefore = bob.client.get('alice')!.metas[0]!.phx_ref;

    await stopCli(node1.run, 'SIGKILL');
    await waitFor(async () => (await downs(node2.url)) === 1, {
      ...WAIT,
      description: 'node 2 marks node 1 down',
    });
    // Node 3 starts in node 1's grace; it never heard of node 1.
    const node3 = await startCli(args('node-3'), env);
    runs.push(node3.run);
    await waitFor(async () => (await fetch(`${node3.url}/readyz`)).status === 200, {
      ...WAIT,
      description: 'node 3 synced',
    });
    // Bob's other device, on node 3, is shown alice's held entry (node 3 learned it).
    const bob3 = await open(node3.url, 'bob', 'bob-3');
    await waitFor(() => bob3.users().includes('bob'), {
      ...WAIT,
      description: 'bob-3’s presence_state (it lists bob’s own devices)',
    });
    expect(bob3.client.get('alice')?.metas.map((m) => m.phx_ref)).toEqual([refBefore]);
    const aboutAlice: string[] = [];
    for (const watcher of [bob, bob3]) {
      watcher.client.socket.on('presence_diff', (diff: { joins?: object; leaves?: object }) => {
        if (diff.joins && 'alice' in diff.joins) aboutAlice.push('join');
        if (diff.leaves && 'alice' in diff.leaves) aboutAlice.push('leave');
      });
    }
    // Alice's laptop is back on node 3 with its lineage: a takeover there and at node 2.
    await open(node3.url, 'alice', 'laptop', 'alice-laptop-lineage');
    // Sentinels: a join each watcher must see after anything owed for alice.
    await open(node2.url, 'carol', 'carol-1');
    await open(node3.url, 'carol', 'carol-2');
    for (const watcher of [bob, bob3]) {
      await waitFor(() => (watcher.client.get('carol')?.metas.length ?? 0) === 2, {
        ...WAIT,
        description: 'the watchers see both of carol’s devices',
      });
    }
    expect(aboutAlice).toEqual([]);
    for (const watcher of [bob, bob3]) {
      expect(watcher.client.get('alice')?.metas.map((m) => m.phx_ref)).toEqual([refBefore]);
    }
  }, 120_000);
});
