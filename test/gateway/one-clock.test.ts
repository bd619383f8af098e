/**
 * The server's one clock (createPresenceServer's `clock`, src/ports/clock.ts): the gateway's
 * timers run on it, so a manual clock decides when a token expires or a leave grace ends,
 * whatever real time does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userTopic } from '../../src/domain/topics.js';
import { ManualClock, manualServerClock } from '../support/manual-clock.js';
import { waitFor } from '../support/wait-for.js';
import { dropConnection } from './support/grace-cluster.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer, tokenFor } from './support/test-server.js';

let manual: ManualClock;
let server: TestServer;
let clients: TestClient[];

/**
 * Waits for `condition`, moving the server clock 10 ms at each look: every timer of the server
 * (an outbox waiting on a busy socket among them) runs on it.
 */
function settle(condition: () => boolean): Promise<void> {
  return waitFor(() => {
    manual.advance(10);
    return condition();
  });
}

async function open(user: string, token?: string) {
  const client = await connect(server.url, user, token === undefined ? {} : { token });
  clients.push(client);
  await client.ready();
  return client;
}

beforeEach(async () => {
  manual = new ManualClock();
  server = await startTestServer({
    clock: manualServerClock(manual, Date.now()),
    leaveGraceMs: 5_000,
  });
  clients = [];
  await server.graph.addEdge('alice', 'bob');
});

afterEach(async () => {
  for (const client of clients) client.close();
  await server.close();
});

describe('one clock', () => {
  it('a token expires when the server clock passes its exp, not before', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3_600;
    // Bob's token outlives Alice's by an hour.
    const bob = await open('bob', await tokenFor('bob', { expiresAt: exp + 3_600 }));
    const alice = await open('alice', await tokenFor('alice', { expiresAt: exp }));
    await waitFor(() => bob.users().includes('alice'));
    manual.advance(3_000_000);
    expect(server.server.gateway.socketsOf('alice')).toHaveLength(1);
    manual.advance(700_000);
    await waitFor(() => alice.socket.disconnected);
    expect(alice.errors().map((e) => e.code)).toEqual(['token_expired']);
    await settle(() => !bob.users().includes('alice'));
  });

  it('a dropped connection stays visible until the server clock ends its leave grace', async () => {
    const bob = await open('bob');
    const alice = await open('alice');
    await waitFor(() => bob.users().includes('alice'));
    await dropConnection(server, alice);
    manual.advance(4_999);
    expect(server.server.replica.view.count(userTopic('alice'))).toBe(1);
    manual.advance(1);
    expect(server.server.replica.view.count(userTopic('alice'))).toBe(0);
    await settle(() => !bob.users().includes('alice'));
  });
});
