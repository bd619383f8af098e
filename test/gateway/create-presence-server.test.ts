/** createPresenceServer: option validation, attaching to an app's servers, two nodes, close(). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createPresenceServer, type PresenceServer } from '../../src/index.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { SECRET } from './support/test-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('options', () => {
  const graph = new GraphologyFriendsGraph();
  it.each([
    ['no authentication', { graph }],
    ['both secret and authenticate', { graph, jwtSecret: 's', authenticate: () => null }],
    ['an empty secret', { graph, jwtSecret: '' }],
    ['no graph', { jwtSecret: SECRET }],
    ['a bad rate limit', { graph, jwtSecret: SECRET, rateLimit: { perSecond: -1 } }],
    ['a negative leave grace', { graph, jwtSecret: SECRET, leaveGraceMs: -1 }],
    ['a fractional leave grace', { graph, jwtSecret: SECRET, leaveGraceMs: 1.5 }],
    ['a leave grace beyond a timer', { graph, jwtSecret: SECRET, leaveGraceMs: 2 ** 31 }],
    [
      'a bad timing',
      { graph, jwtSecret: SECRET, timing: { broadcastPeriodMs: 100, downPeriodMs: 150 } },
    ],
    [
      'both io and httpServer',
      { graph, jwtSecret: SECRET, io: new SocketIoServer(), httpServer: createServer() },
    ],
    [
      'a node name unlike the transport',
      {
        graph,
        jwtSecret: SECRET,
        nodeName: 'a',
        transport: createInMemoryBus().createTransport('b'),
      },
    ],
  ])('refuses %s with InvalidOptionError', (_, options) => {
    expect(() => createPresenceServer(options as never)).toThrow(InvalidOptionError);
  });
});

describe('attaching and closing', () => {
  it('attaches to an app HTTP server and leaves it running on close', async () => {
    const http = createServer((_, res) => res.end('app'));
    const url = await listen(http);
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const graph = new GraphologyFriendsGraph();
    const presence = createPresenceServer({
      httpServer: http,
      graph,
      jwtSecret: SECRET,
      nodeName: 'n1',
    });
    expect(presence.httpServer).toBe(http);
    const client = await connect(url, 'alice');
    await client.ready();
    expect(presence.replica.view.count('user:alice')).toBe(1);
    await presence.close();
    await waitFor(() => !client.socket.connected);
    expect(presence.replica.isRunning).toBe(false);
    expect(await (await fetch(url)).text()).toBe('app');
  });

  it('adds /presence to an app socket.io server', async () => {
    const http = createServer();
    const io = new SocketIoServer(http);
    const url = await listen(http);
    cleanups.push(() => new Promise<void>((resolve) => io.close(() => resolve())));
    const presence = createPresenceServer({
      io,
      graph: new GraphologyFriendsGraph(),
      jwtSecret: SECRET,
    });
    cleanups.push(() => presence.close());
    expect(presence.io).toBe(io);
    expect(presence.httpServer).toBeUndefined();
    const client = await connect(url, 'bob');
    cleanups.push(() => client.close());
    await client.ready();
    expect(client.users()).toEqual(['bob']);
  });
});

describe('two nodes on one replication bus', () => {
  it('friends on different nodes see each other; close() makes the node leave at once', async () => {
    const bus = createInMemoryBus();
    const graphA = new GraphologyFriendsGraph();
    const graphB = new GraphologyFriendsGraph();
    for (const graph of [graphA, graphB]) await graph.addEdge('alice', 'bob');
    const timing = { broadcastPeriodMs: 20, downPeriodMs: 60_000, permdownPeriodMs: 120_000 };
    const nodes: { server: PresenceServer; url: string }[] = [];
    for (const [name, graph] of [
      ['node-a', graphA],
      ['node-b', graphB],
    ] as const) {
      const server = createPresenceServer({
        graph,
        jwtSecret: SECRET,
        transport: bus.createTransport(name),
        timing,
      });
      cleanups.push(() => server.close());
      nodes.push({ server, url: await listen(server.httpServer!) });
    }
    const clients: TestClient[] = [];
    cleanups.push(() => {
      for (const c of clients) c.close();
    });
    const alice = await connect(nodes[0]!.url, 'alice');
    const bob = await connect(nodes[1]!.url, 'bob');
    clients.push(alice, bob);
    await waitFor(() => alice.users().includes('bob') && bob.users().includes('alice'), {
      description: 'alice and bob see each other across nodes',
    });
    await bob.update({ status: 'away' });
    await waitFor(() => alice.metas('bob')[0]?.['status'] === 'away');
    // A clean shutdown announces the leave: bob's presence goes now, not after the down period.
    await nodes[1]!.server.close();
    await waitFor(() => !alice.users().includes('bob'), { description: 'bob left with node-b' });
  });
});

describe('createPresenceServer with a node bus', () => {
  it('replicates and delivers over the bus; refuses a bus together with a transport', async () => {
    const net = createInMemoryBus();
    const clusterSecret = 'create-presence-server-cluster-secret';
    const timing = { broadcastPeriodMs: 20, downPeriodMs: 60_000, permdownPeriodMs: 120_000 };
    const nodes: { server: PresenceServer; url: string }[] = [];
    for (const name of ['node-a', 'node-b']) {
      const graph = new GraphologyFriendsGraph();
      await graph.addEdge('alice', 'bob');
      const bus = net.createNodeBus(name, { clusterSecret });
      const server = createPresenceServer({ graph, jwtSecret: SECRET, bus, timing });
      cleanups.push(async () => {
        await server.close();
        await bus.close();
      });
      expect(server.replica.ref.name).toBe(name);
      nodes.push({ server, url: await listen(server.httpServer!) });
    }
    const alice = await connect(nodes[0]!.url, 'alice');
    const bob = await connect(nodes[1]!.url, 'bob');
    cleanups.push(() => {
      alice.close();
      bob.close();
    });
    await waitFor(() => alice.users().includes('bob') && bob.users().includes('alice'));
    const messages: unknown[] = [];
    alice.socket.on('presence_message', (message: unknown, ack: () => void) => {
      messages.push(message);
      ack();
    });
    const result = await nodes[1]!.server.deliver('alice', 'hello', { from: 'bob' });
    expect(result).toMatchObject({ delivered: true });
    expect(messages).toHaveLength(1);

    const graph = new GraphologyFriendsGraph();
    expect(() =>
      createPresenceServer({
        graph,
        jwtSecret: SECRET,
        bus: net.createNodeBus('node-c'),
        transport: net.createTransport('node-d'),
      }),
    ).toThrow(InvalidOptionError);
  });
});
