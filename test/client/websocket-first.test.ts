/**
 * The SDK's transports against a real presence server: a websocket first (no long-polling
 * request reaches the server, so a round-robin balancer needs no sticky sessions), and long
 * polling only when the websocket is refused (here: the HTTP server answers upgrades 400, as a
 * proxy that does not pass websockets, and socket.io allows polling only).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ServerOptions, Server as SocketIoServer } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { createPresenceServer } from '../../src/index.js';
import { SECRET, tokenFor } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Seen {
  readonly url: string;
  /** The engine.io transport of every HTTP request and upgrade the server received. */
  readonly polling: string[];
  readonly upgrades: string[];
}

/** A presence server on its own socket.io server, recording what reaches its HTTP server. */
async function startServer(
  ioOptions: Partial<ServerOptions>,
  { refuseWebsockets = false } = {},
): Promise<Seen> {
  const http = createServer();
  const transportOf = (request: IncomingMessage) =>
    new URL(request.url ?? '/', 'http://x').searchParams.get('transport') ?? 'none';
  const seen = { url: '', polling: [] as string[], upgrades: [] as string[] };
  http.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    seen.upgrades.push(transportOf(request));
    // What a proxy that does not pass websockets answers.
    if (refuseWebsockets) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  const io = new SocketIoServer(http, ioOptions);
  // Put before socket.io's own listener (which hides the ones added before it): it sees every
  // request, and answers none.
  http.prependListener('request', (request: IncomingMessage) =>
    seen.polling.push(transportOf(request)),
  );
  const graph = new GraphologyFriendsGraph();
  await graph.addEdge('alice', 'bob');
  const presence = createPresenceServer({ io, graph, jwtSecret: SECRET, nodeName: 'n1' });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await presence.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await graph.close();
  });
  seen.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return seen;
}

async function synced(url: string, user: string): Promise<PresenceClient> {
  const client = createPresenceClient(url, {
    token: await tokenFor(user),
    socketOptions: { forceNew: true, reconnection: false },
  });
  cleanups.push(() => client.disconnect());
  await new Promise<void>((resolve, reject) => {
    client.onSync(() => resolve());
    client.onError((error) => reject(error));
  });
  return client;
}

describe('the SDK transports', () => {
  it('connects over a websocket first: the server sees no long-polling request', async () => {
    const seen = await startServer({});
    const alice = await synced(seen.url, 'alice');
    const bob = await synced(seen.url, 'bob');
    expect(alice.socket.io.engine.transport.name).toBe('websocket');
    expect(bob.socket.io.engine.transport.name).toBe('websocket');
    expect(seen.polling).toEqual([]);
    expect(seen.upgrades).toEqual(['websocket', 'websocket']);
    await waitFor(() => alice.list().some((u) => u.userId === 'bob'), {
      description: 'alice sees bob',
    });
  });

  it('falls back to long polling when the websocket is refused', async () => {
    const seen = await startServer({ transports: ['polling'] }, { refuseWebsockets: true });
    const alice = await synced(seen.url, 'alice');
    await synced(seen.url, 'bob');
    await waitFor(() => alice.list().some((u) => u.userId === 'bob'), {
      description: 'alice sees bob over polling',
    });
    expect(alice.socket.io.engine.transport.name).toBe('polling');
    // The websocket was tried first, and refused; then polling carried the session.
    expect(seen.upgrades[0]).toBe('websocket');
    expect(seen.polling.length).toBeGreaterThan(0);
    expect(new Set(seen.polling)).toEqual(new Set(['polling']));
  });
});
