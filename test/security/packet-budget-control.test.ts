/**
 * Every packet counts towards the inbound packet budget (issue 21, finding 4; PROTOCOL.md
 * "Limits"): engine.io `pong` and `noop` packets and WebSocket ping frames were never counted, so a
 * client could send them without bound. A real server and socket.io clients; the flood is written
 * straight on the client's WebSocket (`ws`), as a hostile client would. Bob, alice's friend, keeps
 * getting her diffs.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

let server: TestServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

async function open(url: string, user: string) {
  const client = await connect(url, user);
  clients.push(client);
  await client.ready();
  return client;
}

/** The `ws` WebSocket under a socket.io client using the websocket transport. */
function rawWebSocket(client: TestClient): WebSocket {
  const engine = client.socket.io.engine as unknown as { transport: { ws: WebSocket } };
  return engine.transport.ws;
}

const floods: [string, (ws: WebSocket) => void][] = [
  ['engine.io pong packets', (ws) => ws.send('3')],
  ['engine.io noop packets', (ws) => ws.send('6')],
  ['WebSocket ping frames', (ws) => ws.ping()],
  ['WebSocket pong frames', (ws) => ws.pong()],
];

describe('control packets count towards the inbound packet budget', () => {
  it.each(floods)(
    'a connection flooding %s is told too_many_packets and closed',
    async (_name, send) => {
      server = await startTestServer();
      await server.graph.addEdge('alice', 'bob');
      const alice = await open(server.url, 'alice');
      const bob = await open(server.url, 'bob');
      const mallory = await open(server.url, 'mallory');
      const disconnected = new Promise<string>((resolve) =>
        mallory.socket.once('disconnect', (reason) => resolve(reason)),
      );

      const ws = rawWebSocket(mallory);
      for (let i = 0; i < 5_000 && ws.readyState === ws.OPEN; i++) send(ws);

      expect(await disconnected).toBe('io server disconnect');
      expect(mallory.errors().map((e) => e.code)).toEqual(['too_many_packets']);
      await waitFor(() => server!.server.gateway.stats().packetFloods === 1, {
        description: 'the flood is counted',
      });
      expect(alice.socket.connected && bob.socket.connected).toBe(true);
      expect(await alice.update({ status: 'away' })).toEqual({ ok: true });
      await waitFor(() => bob.metas('alice')[0]?.['status'] === 'away');
    },
  );

  it('a client at the normal heartbeat stays within the budget', async () => {
    server = await startTestServer();
    const alice = await open(server.url, 'alice');
    const ws = rawWebSocket(alice);
    // A day of heartbeats would be far slower; 20 at once is within any burst.
    for (let i = 0; i < 20; i++) ws.ping();
    expect(await alice.update({ status: 'here' })).toEqual({ ok: true });
    expect(alice.socket.connected).toBe(true);
    expect(server.server.gateway.stats().packetFloods).toBe(0);
  });
});
