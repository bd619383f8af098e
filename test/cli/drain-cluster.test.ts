/**
 * A rolling deploy's step with two real `graph-presence` processes over a test-owned
 * redis-server: SIGTERM on node A drains it. The SDK clients reach the nodes through a small
 * round-robin TCP balancer that routes new connections only to nodes whose `/readyz` answers 200
 * (support/balancer.ts: what a Kubernetes Service does); it starts with A alone, then B (the new
 * pod) joins the rotation. So every client starts on A and, told to move, lands wherever the
 * balancer sends it: the drain never names node B.
 *
 * What is checked, never against time: every friend's SDK view shows each drained user after
 * every payload it got (nobody seen offline), every client ends up connected (to B, the only node
 * left), A's `/readyz` answers 503 `draining`, a connection made straight to A meanwhile is refused
 * with `draining` and a retry hint, and A exits 0 on its own, every entry taken over (none left).
 * A client that ignores the instruction (a raw socket.io client) is moved by hand to B with the
 * same device, as an old client reconnecting would.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { type Balancer, startBalancer } from './support/balancer.js';
import { killAll, startCli, stopCli } from './support/cli-process.js';
import { TEST_CLUSTER_SECRET } from './support/two-nodes.js';

const SECRET = 'drain-cluster-jwt-secret-of-32-bytes!!';
const ADMIN = 'drain-cluster-admin-token-0123456789';
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const WAIT = { timeoutMs: 30_000 };

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  killAll();
});

function token(user: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

/** Everyone is everyone's friend. */
function graphFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drain-cluster-'));
  const file = join(dir, 'friends.csv');
  const lines: string[] = [];
  for (const a of USERS) for (const b of USERS) if (a < b) lines.push(`${a},${b}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const TIMING = [
  ...['--broadcast-period-ms', '100', '--down-period-ms', '60000'],
  ...['--permdown-period-ms', '120000', '--leave-grace-ms', '30000'],
  ...['--drain-ms', '4000'],
];

async function startNode(name: string, redis: RedisServer, graph: string, timing = TIMING) {
  const node = await startCli(
    [
      ...['--port', '0', '--redis', redis.url, '--node-name', name],
      ...['--graph', `graphology:${graph}`, '--admin-token', ADMIN],
      ...timing,
    ],
    { PRESENCE_JWT_SECRET: SECRET, PRESENCE_CLUSTER_SECRET: TEST_CLUSTER_SECRET },
  );
  cleanups.push(() => stopCli(node.run, 'SIGKILL'));
  return node;
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const headers = { authorization: `Bearer ${ADMIN}` };
  const text = await (await fetch(`${url}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

interface Watched {
  readonly user: string;
  readonly client: PresenceClient;
  /** After every payload since the watch began: were all the user's friends in the view? */
  readonly allFriendsShown: boolean[];
  friendsShown(): boolean;
}

function sdkClient(url: string, user: string, jwt: string): Watched {
  const client = createPresenceClient(url, {
    token: jwt,
    device: `${user}-phone`,
    idleAfterMs: 0,
    socketOptions: { transports: ['websocket'], forceNew: true },
  });
  client.onError(() => {});
  cleanups.push(() => client.disconnect());
  const friends = USERS.filter((u) => u !== user);
  const friendsShown = () => friends.every((f) => client.get(f) !== undefined);
  const allFriendsShown: boolean[] = [];
  return { user, client, allFriendsShown, friendsShown };
}

/** Records, after every payload (the SDK's own listeners ran first), whether all friends show. */
function watch(watched: Watched): void {
  const record = () => watched.allFriendsShown.push(watched.friendsShown());
  watched.client.socket.on('presence_state', record);
  watched.client.socket.on('presence_diff', record);
}

/** A raw socket.io client that knows nothing of `presence_drain`. */
async function rawClient(
  url: string,
  user: string,
  device: string,
  lineage?: string,
): Promise<Socket> {
  const socket = io(`${url}/presence`, {
    auth: { token: await token(user), device, ...(lineage === undefined ? {} : { lineage }) },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  cleanups.push(() => socket.disconnect());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

describe('drain on SIGTERM, two real nodes behind a balancer', () => {
  it('every client moves to the other node, friends never see anyone offline, the node exits 0 by itself', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.dispose());
    const graph = graphFile();
    const a = await startNode('node-a', redis, graph);
    const b = await startNode('node-b', redis, graph);
    const balancer: Balancer = await startBalancer([a.url]);
    cleanups.push(() => balancer.close());

    const clients = await Promise.all(
      USERS.map(async (user) => sdkClient(balancer.url, user, await token(user))),
    );
    await waitFor(() => clients.every((c) => c.client.connected && c.friendsShown()), {
      ...WAIT,
      description: 'every client on node A sees all its friends',
    });
    const laggard = await rawClient(a.url, 'u0', 'old-app');
    expect(await metric(a.url, 'presence_connections')).toBe(USERS.length + 1);
    for (const c of clients) watch(c);

    // The new pod joins the rotation once it is ready.
    await waitFor(async () => (await fetch(`${b.url}/readyz`)).status === 200, {
      ...WAIT,
      description: 'node B ready',
    });
    balancer.setBackends([a.url, b.url]);

    a.run.child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${a.url}/readyz`)).status === 503, {
      ...WAIT,
      description: 'node A not ready while it drains',
    });
    const readiness = (await (await fetch(`${a.url}/readyz`)).json()) as {
      reasons: { code: string }[];
    };
    expect(readiness.reasons.map((r) => r.code)).toContain('draining');

    // A connection made straight to A is refused, with when to try again.
    const refused = await new Promise<{ message: string; data?: { retryAfterMs?: unknown } }>(
      (resolve, reject) => {
        void token('u1').then((jwt) => {
          const socket = io(`${a.url}/presence`, {
            auth: { token: jwt, device: 'late' },
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
          });
          cleanups.push(() => socket.disconnect());
          socket.once('connect', () => reject(new Error('a draining node accepted a connection')));
          socket.once('connect_error', (error: Error & { data?: { retryAfterMs?: unknown } }) =>
            resolve(error),
          );
        });
      },
    );
    expect(refused.message).toBe('draining');
    expect(refused.data?.retryAfterMs).toBeGreaterThan(0);

    // The client that ignores the instruction moves by hand, same device, to B.
    laggard.disconnect();
    await rawClient(b.url, 'u0', 'old-app');

    const exit = await a.run.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // Every entry of A was taken over elsewhere: none left to leave, none expired.
    const drained = a.run.stderr
      .split('\n')
      .filter((line) => line.includes('"drained"'))
      .map((line) => JSON.parse(line) as { connections: number; left: number; cut: boolean });
    expect(drained).toEqual([expect.objectContaining({ connections: USERS.length + 1, left: 0 })]);

    await waitFor(() => clients.every((c) => c.client.connected && c.client.synced), {
      ...WAIT,
      description: 'every client connected again',
    });
    expect(await metric(b.url, 'presence_connections')).toBe(USERS.length + 1);
    for (const c of clients) {
      expect(c.friendsShown(), c.user).toBe(true);
      // At least the state of its new connection, and every payload showed all friends.
      expect(c.allFriendsShown.length, c.user).toBeGreaterThan(0);
      expect(c.allFriendsShown.every(Boolean), c.user).toBe(true);
    }
    expect(balancer.routed.get(b.url) ?? 0).toBeGreaterThanOrEqual(USERS.length);
  }, 120_000);
  it('a device back only after the drained node exited is held by the others: no leave, no offline', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.dispose());
    const graph = graphFile();
    // A short leave grace and drain, and a down period B notices soon: u0's laptop comes back
    // well after A cut it, waited its leave grace and exited.
    const timing = [
      ...['--broadcast-period-ms', '100', '--down-period-ms', '1500'],
      ...['--permdown-period-ms', '120000', '--leave-grace-ms', '300'],
      ...['--crash-grace-ms', '60000', '--drain-ms', '1000'],
    ];
    const a = await startNode('node-a', redis, graph, timing);
    const b = await startNode('node-b', redis, graph, timing);
    const watcher = sdkClient(b.url, 'u1', await token('u1'));
    await rawClient(a.url, 'u0', 'laptop', 'u0-laptop-lineage');
    await waitFor(() => watcher.client.synced && watcher.client.get('u0') !== undefined, {
      ...WAIT,
      description: 'u1 on node B sees u0 (on node A)',
    });
    const payloads: string[] = [];
    for (const event of ['presence_diff', 'presence_state']) {
      watcher.client.socket.on(event, () =>
        payloads.push(watcher.client.get('u0') === undefined ? 'u0 offline' : 'u0 shown'),
      );
    }

    a.run.child.kill('SIGTERM');
    // u0's old app ignores the drain: A cuts it at the window's end, keeps its entry through its
    // leave grace and beyond, then exits without announcing a leave.
    expect(await a.run.exited).toEqual({ code: 0, signal: null });
    const drained = a.run.stderr
      .split('\n')
      .filter((line) => line.includes('"drained"'))
      .map((line) => JSON.parse(line) as { connections: number; left: number; cut: boolean });
    expect(drained).toEqual([expect.objectContaining({ connections: 1, left: 1, cut: true })]);
    // B notices A down and holds its entry for the crash grace.
    await waitFor(
      async () => ((await metric(b.url, 'presence_replicas{status="down"}')) ?? 0) >= 1,
      {
        ...WAIT,
        description: 'node B sees node A down',
      },
    );
    expect(watcher.client.get('u0')).toBeDefined();

    // The laptop is back, on B, with its device and lineage: a silent takeover.
    await rawClient(b.url, 'u0', 'laptop', 'u0-laptop-lineage');
    await waitFor(async () => (await metric(b.url, 'presence_connections')) === 2, {
      ...WAIT,
      description: 'u0 connected to node B',
    });
    expect(watcher.client.get('u0')).toBeDefined();
    expect(payloads.filter((p) => p === 'u0 offline')).toEqual([]);
  });
});
