/**
 * A node's drain (close({ drainMs })) over real sockets, in process: two nodes on one in-memory
 * bus, the leave grace on a manual clock (it never runs out here) and a drain window far longer
 * than the test, so every step is driven by what the clients do, never by time. The draining
 * node tells its clients to move, refuses new connections with a retry hint, answers not ready,
 * keeps each entry of a client that left until its device is back on the other node, and its
 * close resolves once every client has moved.
 */
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { DrainData, OverloadedData } from '../../src/domain/client-protocol.js';
import { waitFor } from '../support/wait-for.js';
import { type GraceNodes, startGraceNodes } from './support/grace-cluster.js';
import { type ConnectOptions, connect, type TestClient } from './support/test-client.js';
import { type TestServer, tokenFor } from './support/test-server.js';

const DRAIN_MS = 600_000;

let cluster: GraceNodes | undefined;
let clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await cluster?.close();
  cluster = undefined;
});

async function open(node: TestServer, user: string, options: ConnectOptions = {}) {
  const client = await connect(node.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

function drainInstructions(client: TestClient): DrainData[] {
  const heard: DrainData[] = [];
  client.socket.on('presence_drain', (data: DrainData) => heard.push(data));
  return heard;
}

/** A handshake's connect_error: its message and data. */
async function refusalWithData(url: string, user: string) {
  const socket = io(`${url}/presence`, {
    auth: { token: await tokenFor(user) },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  try {
    return await new Promise<{ message: string; data: unknown }>((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connection was accepted')));
      socket.once('connect_error', (error: Error & { data?: unknown }) =>
        resolve({ message: error.message, data: error.data }),
      );
    });
  } finally {
    socket.disconnect();
  }
}

describe('drain', () => {
  it('clients told to move, new ones refused with a hint, entries kept until taken over elsewhere, then closed', async () => {
    cluster = await startGraceNodes(2);
    await cluster.graph.addEdge('alice', 'bob');
    await cluster.graph.addEdge('alice', 'carol');
    const [a, b] = cluster.nodes as [TestServer, TestServer];
    const alice = await open(a, 'alice', { device: 'phone' });
    const bob = await open(a, 'bob', { device: 'laptop' });
    const carol = await open(b, 'carol', { device: 'tablet' });
    await waitFor(() => carol.users().includes('alice') && bob.users().includes('alice'));
    const heard = [drainInstructions(alice), drainInstructions(bob)];
    const carolMark = carol.history.length;

    let closed = false;
    const closing = a.server.close({ drainMs: DRAIN_MS }).then(() => {
      closed = true;
    });
    await waitFor(() => heard.every((h) => h.length === 1), {
      description: 'each client of the draining node is told to move',
    });
    // What is left of the window when the instruction went out: the window, less the
    // millisecond or two between the drain's start and its message on a loaded machine.
    const [first, second] = heard.flat() as { withinMs: number }[];
    expect(second).toEqual(first);
    expect(first!.withinMs).toBeGreaterThan(DRAIN_MS - 1_000);
    expect(first!.withinMs).toBeLessThanOrEqual(DRAIN_MS);
    expect(a.server.readiness()).toMatchObject({
      ready: false,
      reasons: expect.arrayContaining([expect.objectContaining({ code: 'draining' })]),
    });
    const refused = await refusalWithData(a.url, 'dave');
    expect(refused.message).toBe('draining');
    expect((refused.data as OverloadedData).retryAfterMs).toBeGreaterThan(0);
    expect(a.server.gateway.stats().drainRefused).toBe(1);

    // alice moves: her client closes the connection on purpose, and connects to node b.
    alice.close();
    await waitFor(() => a.server.gateway.stats().graced === 1, {
      description: 'her entry stays in the grace although she left explicitly',
    });
    await open(b, 'alice', { device: 'phone' });
    await waitFor(() => a.server.gateway.stats().graced === 0, {
      description: 'node a untracks her old entry once her join on b reaches it',
    });
    expect(a.server.gateway.stats().graceResumed).toBe(1);
    expect(closed).toBe(false);

    // bob moves too: nothing is left, the drain ends and the node closes, long before its window.
    bob.close();
    const bobOnB = await open(b, 'bob', { device: 'laptop' });
    await closing;
    expect(a.server.gateway.stats()).toMatchObject({ connections: 0, graced: 0, graceResumed: 2 });
    await waitFor(() => bobOnB.users().includes('alice'));
    // carol (node b) saw alice after every payload through the whole move.
    expect(carol.history.slice(carolMark).every((users) => users.includes('alice'))).toBe(true);
    expect(carol.users()).toContain('alice');
  });

  it('at the end of the window a client that ignored the instruction is cut as a drop, and keeps its entry', async () => {
    cluster = await startGraceNodes(2, { leaveGraceMs: 60_000 });
    await cluster.graph.addEdge('alice', 'carol');
    const [a, b] = cluster.nodes as [TestServer, TestServer];
    const alice = await open(a, 'alice', { device: 'phone' });
    const carol = await open(b, 'carol', { device: 'tablet' });
    await waitFor(() => carol.users().includes('alice'));
    const carolMark = carol.history.length;
    let reason: string | undefined;
    alice.socket.on('disconnect', (why) => {
      reason = why;
    });
    // A window of 1 ms: over at the drain's next check; alice's client does not move by itself.
    const closing = a.server.close({ drainMs: 1 });
    await waitFor(() => reason !== undefined, { description: 'alice is cut' });
    // A network loss for her client (its own reconnect would run), a drop for the server.
    expect(reason).toBe('transport close');
    await waitFor(() => a.server.gateway.stats().graced === 1);
    await open(b, 'alice', { device: 'phone' });
    await closing;
    expect(a.server.gateway.stats()).toMatchObject({ graced: 0, graceResumed: 1, graceExpired: 0 });
    expect(carol.history.slice(carolMark).every((users) => users.includes('alice'))).toBe(true);
  });

  it('a node alone does not drain: it closes at once, its presences leave', async () => {
    cluster = await startGraceNodes(1);
    const [a] = cluster.nodes as [TestServer];
    const alice = await open(a, 'alice');
    const heard = drainInstructions(alice);
    await a.server.close({ drainMs: DRAIN_MS });
    expect(heard).toEqual([]);
    expect(a.server.gateway.stats().connections).toBe(0);
  });

  it('refuses a drain period that is not a whole number of ms', async () => {
    cluster = await startGraceNodes(1);
    const [a] = cluster.nodes as [TestServer];
    await expect(a.server.close({ drainMs: -1 })).rejects.toThrow(/drainMs/);
    await expect(a.server.close({ drainMs: 1.5 })).rejects.toThrow(/drainMs/);
  });
});
