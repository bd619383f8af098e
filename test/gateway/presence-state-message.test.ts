/**
 * The first presence_state is concatenated from cached per-topic JSON fragments
 * (src/gateway/outbound/presence-state-message.ts): every later state must show the tracker as it
 * is now, after updates, invisibility toggles and leaves, with the exact metas socket.io would
 * have encoded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let clients: TestClient[];

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(server.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

function firstState(client: TestClient): Record<string, { metas: Record<string, unknown>[] }> {
  const state = client.received.find((r) => r.event === 'presence_state');
  return state?.payload as Record<string, { metas: Record<string, unknown>[] }>;
}

beforeEach(async () => {
  server = await startTestServer();
  clients = [];
  for (const viewer of ['v1', 'v2', 'v3', 'v4', '42', '__proto__']) {
    await server.graph.addEdge('alice', viewer);
  }
});

afterEach(async () => {
  for (const client of clients) client.close();
  await server.close();
});

describe('presence_state from cached fragments', () => {
  it('shows each change of a friend to the next connection', async () => {
    const alice = await open('alice', { device: 'phone' });
    const v1 = await open('v1');
    expect(firstState(v1)['alice']?.metas).toEqual([
      expect.objectContaining({ status: 'online', device: 'phone' }),
    ]);

    expect(await alice.update({ status: 'away' })).toEqual({ ok: true });
    const v2 = await open('v2');
    const [meta] = firstState(v2)['alice']?.metas ?? [];
    expect(meta).toMatchObject({ status: 'away', device: 'phone' });
    expect(meta?.['phx_ref_prev']).toEqual(expect.any(String));
    expect(server.server.replica.view.get('user:alice', 'alice')).toHaveLength(1);

    expect(await alice.update({ invisible: true })).toEqual({ ok: true });
    const v3 = await open('v3');
    expect(firstState(v3)['alice']).toBeUndefined();

    expect(await alice.update({ invisible: false })).toEqual({ ok: true });
    alice.close();
    await waitFor(() => server.server.replica.view.get('user:alice', 'alice').length === 0);
    const v4 = await open('v4');
    expect(firstState(v4)).toEqual({
      v4: { metas: [expect.objectContaining({ status: 'online' })] },
    });
  });

  it('merges the own user topic and self topic, and keeps odd user ids as plain keys', async () => {
    await open('alice', { device: 'laptop' });
    await open('alice', { device: 'hidden', invisible: true });
    const third = await open('alice', { device: 'tablet' });
    const own = firstState(third)
      ['alice']?.metas.map((m) => m['device'])
      .sort();
    expect(own).toEqual(['hidden', 'laptop', 'tablet']);

    const numeric = await open('42');
    const proto = await open('__proto__');
    expect(Object.keys(firstState(numeric)).sort()).toEqual(['42', 'alice']);
    expect(Object.hasOwn(firstState(proto), '__proto__')).toBe(true);
    expect(firstState(proto)['alice']?.metas).toHaveLength(2);
  });
});
