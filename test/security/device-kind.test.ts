/**
 * `kind` is checked on every path a client can set it (issue 21, finding 4): the handshake
 * refused a bad one, but `presence:update` took `7`, `__proto__` or 900 characters, and friends
 * received them raw. Real server, real socket.io clients; alice and bob are friends. Absence is
 * shown by a marker: bob's status change after the refused patches reaches alice only after any
 * of them would have.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../../src/domain/device-kind.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

let server: TestServer;
let clients: TestClient[];

beforeEach(async () => {
  server = await startTestServer();
  clients = [];
  await server.graph.addEdge('alice', 'bob');
});

afterEach(async () => {
  for (const client of clients) client.close();
  await server.close();
});

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(server.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

describe('kind in presence:update', () => {
  it('refuses a kind that is not a device kind with invalid_patch; friends never see it', async () => {
    const alice = await open('alice');
    const bob = await open('bob', { kind: 'mobile' });
    await waitFor(() => alice.users().includes('bob'));

    for (const kind of [7, '__proto__', 'k'.repeat(900), '', 'Web', true, null]) {
      expect(await bob.update({ kind }), JSON.stringify(kind).slice(0, 20)).toMatchObject({
        ok: false,
        error: { code: 'invalid_patch', message: expect.stringContaining('"kind" must be one of') },
      });
    }
    expect(await bob.update({ status: 'marker' })).toEqual({ ok: true });
    await waitFor(() => alice.metas('bob')[0]?.['status'] === 'marker');

    const kindsSeen = alice.received.flatMap(
      (r) => JSON.stringify(r.payload).match(/"kind":("[^"]*"|[^,}]*)/g) ?? [],
    );
    expect(new Set(kindsSeen)).toEqual(new Set(['"kind":"mobile"']));
    expect(alice.metas('bob')[0]?.['kind']).toBe('mobile');
  });

  it('accepts every device kind', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await waitFor(() => alice.users().includes('bob'));
    for (const kind of DEVICE_KINDS) {
      expect(await bob.update({ kind })).toEqual({ ok: true });
      await waitFor(() => alice.metas('bob')[0]?.['kind'] === kind);
    }
  });
});
