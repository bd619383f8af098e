/**
 * The backend's side of presence on two real `graph-presence` processes over a test-owned
 * redis-server, with a webhook receiver in the test (demo graph: alice–bob, alice–carol,
 * bob–carol, bob–dave):
 *
 * - one `user.online` and one `user.offline` per user, whatever devices and nodes they use in
 *   between, signed, sent by one node; a device moving between nodes within the offline delay is
 *   no event; a receiver answering 500 gets the same events again until it takes them;
 * - the offline carries the last seen the store recorded, which the query answers on either node
 *   and which survives a restart of both nodes, with the Redis store and with PostgreSQL.
 *
 * The offline delay is 3 s so a reconnect "within" it never depends on this machine's speed.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateLastSeen } from '../../src/last-seen/postgres-last-seen-schema.js';
import { verifyPresenceWebhookSignature } from '../../src/webhooks/webhook-signature.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { type CliRun, killAll, startCli, stopCli } from './support/cli-process.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';
import { TEST_CLUSTER_SECRET } from './support/two-nodes.js';

const JWT_SECRET = 'backend-presence-cluster-secret-32b!';
const WEBHOOK_SECRET = 'backend-presence-webhook-secret-32b!';
const ADMIN = 'backend-presence-admin-token-0123456';
const DATABASE_URL = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const WAIT = { timeoutMs: 20_000 };

interface Received {
  readonly body: {
    id: string;
    type: string;
    user: string;
    at: number;
    seq: number;
    lastSeen?: number;
  };
  readonly signatureOk: boolean;
  /** The status the receiver answered. */
  readonly answered: number;
}

/** A webhook receiver that answers 500 to its first `failFirst` requests, then 200. */
async function startReceiver(failFirst = 0) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    request.on('end', () => {
      const header = request.headers['x-presence-signature'];
      const check = verifyPresenceWebhookSignature(
        WEBHOOK_SECRET,
        Array.isArray(header) ? header[0] : header,
        raw,
      );
      const answered = received.length < failFirst ? 500 : 200;
      received.push({ body: JSON.parse(raw), signatureOk: check.ok, answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** Events taken (answered 200), as `type user`. */
    taken: () => received.filter((r) => r.answered === 200).map((r) => r.body),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Node {
  run: CliRun;
  url: string;
}

let redis: RedisServer | undefined;
let nodes: Node[] = [];
let clients: WatchedClient[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of clients) c.client.disconnect();
  clients = [];
  await Promise.all(nodes.map((n) => stopCli(n.run)));
  nodes = [];
  killAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await redis?.dispose();
  redis = undefined;
});

async function startNodes(webhookUrl: string, extraArgs: readonly string[] = []): Promise<Node[]> {
  redis ??= await startRedisServer();
  const args = (name: string) => [
    ...['--port', '0', '--redis', redis!.url, '--node-name', name, '--demo'],
    ...['--broadcast-period-ms', '100', '--down-period-ms', '60000'],
    ...['--permdown-period-ms', '120000', '--admin-token', ADMIN],
    ...['--webhook-url', webhookUrl, '--offline-delay-ms', '3000', '--leave-grace-ms', '0'],
    ...extraArgs,
  ];
  const env = {
    PRESENCE_CLUSTER_SECRET: TEST_CLUSTER_SECRET,
    PRESENCE_JWT_SECRET: JWT_SECRET,
    PRESENCE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
  nodes = await Promise.all([startCli(args('node-1'), env), startCli(args('node-2'), env)]);
  await waitFor(
    async () => {
      const health = await Promise.all(
        nodes.map(async (n) => (await fetch(`${n.url}/healthz`)).json()),
      );
      return health.every((h) => (h as { replicas: { up: number } }).replicas.up === 1);
    },
    { timeoutMs: 15_000, description: 'each node sees the other up' },
  );
  return nodes;
}

async function stopNodes(): Promise<void> {
  await Promise.all(nodes.map((n) => stopCli(n.run)));
  nodes = [];
}

async function lastSeenOf(url: string, user: string): Promise<number | null> {
  const response = await fetch(`${url}/admin/presence?users=${user}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const body = (await response.json()) as { users: Record<string, { lastSeen: number | null }> };
  return body.users[user]!.lastSeen;
}

async function connect(url: string, user: string, kind: 'web' | 'mobile' = 'web') {
  const client = await connectClient(url, user, { kind });
  clients.push(client);
  await waitFor(() => client.users().includes(user), WAIT);
  return client;
}

function disconnect(client: WatchedClient): void {
  client.client.disconnect();
  clients = clients.filter((c) => c !== client);
}

const eventsOf = (events: readonly Received['body'][], user: string) =>
  events.filter((e) => e.user === user).map((e) => e.type);

describe('online/offline webhooks and last seen on two nodes over Redis', () => {
  it('sends one online and one offline per user across devices and nodes, signed, retried after 500s', async () => {
    const receiver = await startReceiver(2);
    cleanups.push(receiver.close);
    const [node1, node2] = await startNodes(receiver.url);

    // alice: a web device on node 1, then a phone on node 2; both leave.
    const aliceWeb = await connect(node1!.url, 'alice', 'web');
    await waitFor(() => eventsOf(receiver.taken(), 'alice').length === 1, WAIT);
    const alicePhone = await connect(node2!.url, 'alice', 'mobile');
    disconnect(aliceWeb);
    // bob moves from node 1 to node 2 within the offline delay.
    const bob1 = await connect(node1!.url, 'bob');
    disconnect(bob1);
    await connect(node2!.url, 'bob');
    disconnect(alicePhone);

    await waitFor(() => eventsOf(receiver.taken(), 'alice').length === 2, WAIT);
    await waitFor(() => eventsOf(receiver.taken(), 'bob').length === 1, WAIT);
    // alice's offline comes a delay after her last device left, after bob's move: a wrong
    // offline of bob's (due a delay after he left node 1) would have been sent before it.
    const offlineAt = receiver.taken().find((e) => e.type === 'user.offline')!;
    await waitFor(async () => (await lastSeenOf(node2!.url, 'alice')) !== null, WAIT);

    const taken = receiver.taken();
    expect(eventsOf(taken, 'alice')).toEqual(['user.online', 'user.offline']);
    expect(eventsOf(taken, 'bob')).toEqual(['user.online']);
    expect(new Set(taken.map((e) => e.id)).size).toBe(taken.length);
    expect(receiver.received.every((r) => r.signatureOk)).toBe(true);
    // The two refused deliveries came again, with the same ids, and were taken.
    const refused = receiver.received.filter((r) => r.answered === 500).map((r) => r.body.id);
    expect(refused).toHaveLength(2);
    for (const id of refused) expect(taken.map((e) => e.id)).toContain(id);
    const alice = taken.filter((e) => e.user === 'alice');
    expect(alice[1]!.seq).toBeGreaterThan(alice[0]!.seq);
    expect(offlineAt.lastSeen).toBe(offlineAt.at);

    // The store holds the offline's last seen; both nodes answer it.
    expect(await lastSeenOf(node1!.url, 'alice')).toBe(offlineAt.lastSeen);
    expect(await lastSeenOf(node2!.url, 'alice')).toBe(offlineAt.lastSeen);
  }, 90_000);

  it('keeps last seen across a restart of both nodes, on Redis and on PostgreSQL', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const schema = `gp_test_cluster_${randomBytes(6).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    cleanups.push(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    });
    await migrateLastSeen(pool, schema);
    const stores = [
      { name: 'redis', args: [] as string[] },
      { name: 'postgres', args: ['--last-seen', `postgres:${DATABASE_URL}?schema=${schema}`] },
    ];
    for (const store of stores) {
      const user = store.name === 'redis' ? 'carol' : 'dave';
      let [node1] = await startNodes(receiver.url, store.args);
      const client = await connect(node1!.url, user);
      disconnect(client);
      // At least once: should two nodes both have sent it (and recorded it), the store converges
      // to the later time; read it once it holds the latest `user.offline` seen so far.
      const offlines = () =>
        receiver.taken().filter((e) => e.user === user && e.type === 'user.offline');
      await waitFor(async () => {
        const sent = offlines();
        const stored = await lastSeenOf(node1!.url, user);
        return sent.length > 0 && stored === Math.max(...sent.map((e) => e.lastSeen!));
      }, WAIT);
      const before = await lastSeenOf(node1!.url, user);
      expect(Math.max(...offlines().map((e) => e.lastSeen!)), store.name).toBe(before);

      await stopNodes();
      [node1] = await startNodes(receiver.url, store.args);
      expect(await lastSeenOf(node1!.url, user), store.name).toBe(before);
      await stopNodes();
    }
  }, 120_000);
});
