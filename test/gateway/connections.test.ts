/**
 * The gateway over real sockets: authentication, the first state, diffs, several devices and
 * disconnects, on one node.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { connect, refusal, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer, tokenFor } from './support/test-server.js';

let server: TestServer;
let clients: TestClient[];

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(server.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

beforeEach(async () => {
  server = await startTestServer();
  clients = [];
  await server.graph.addEdge('alice', 'bob');
  await server.graph.addEdge('judy', 'alice', { directed: true });
});

afterEach(async () => {
  for (const client of clients) client.close();
  await server.close();
});

describe('authentication', () => {
  it('refuses a missing token with unauthorized', async () => {
    expect(await refusal(server.url, {})).toBe('unauthorized');
    expect(await refusal(server.url, { token: 42 })).toBe('unauthorized');
  });

  it('refuses a token signed with another secret, or garbage', async () => {
    const forged = await tokenFor('alice', { secret: 'another secret entirely, 32 bytes' });
    expect(await refusal(server.url, { token: forged })).toBe('unauthorized');
    expect(await refusal(server.url, { token: 'not.a.jwt' })).toBe('unauthorized');
  });

  it('refuses an expired token', async () => {
    const expired = await tokenFor('alice', { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    expect(await refusal(server.url, { token: expired })).toBe('unauthorized');
  });

  it('disconnects a connection when its token expires, with token_expired; friends see it leave', async () => {
    const bob = await open('bob');
    const soon = Math.floor(Date.now() / 1000) + 2; // JWT exp has whole seconds
    const alice = await open('alice', { token: await tokenFor('alice', { expiresAt: soon }) });
    await waitFor(() => bob.users().includes('alice'));
    await waitFor(() => alice.socket.disconnected, { timeoutMs: 10_000 });
    expect(alice.errors().map((e) => e.code)).toEqual(['token_expired']);
    await waitFor(() => !bob.users().includes('alice'));
    expect(bob.socket.connected).toBe(true);
  });

  it('refuses a malformed handshake status or device with invalid_handshake', async () => {
    const token = await tokenFor('alice');
    expect(await refusal(server.url, { token, status: 'x'.repeat(65) })).toBe('invalid_handshake');
    expect(await refusal(server.url, { token, device: { nested: true } })).toBe(
      'invalid_handshake',
    );
    expect(server.server.replica.view.size).toBe(0);
  });

  it('refuses a handshake kind outside web, mobile, desktop, other with invalid_handshake', async () => {
    const token = await tokenFor('alice');
    for (const kind of ['tablet', '', 'WEB', 42, { web: true }]) {
      expect(await refusal(server.url, { token, kind })).toBe('invalid_handshake');
    }
    expect(server.server.replica.view.size).toBe(0);
  });

  it('refuses a handshake lineage that is not 8 to 64 of A-Za-z0-9_- with invalid_handshake', async () => {
    const token = await tokenFor('alice');
    for (const lineage of ['short', 'x'.repeat(65), 'has space in it', 'ünïcödé-lineage', 42, {}]) {
      expect(await refusal(server.url, { token, lineage })).toBe('invalid_handshake');
    }
    expect(server.server.replica.view.size).toBe(0);
  });

  it('keeps phx_lineage from every client: not in metas, not settable by a patch', async () => {
    const alice = await open('alice', { auth: { lineage: 'alice-lineage-1' } });
    const bob = await open('bob');
    await waitFor(() => bob.metas('alice').length === 1);
    expect(Object.keys(bob.metas('alice')[0]!)).not.toContain('phx_lineage');
    const [meta] = alice.metas('alice');
    expect(meta).toBeDefined();
    expect(Object.keys(meta!)).not.toContain('phx_lineage');
    expect(await alice.update({ phx_lineage: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_patch' },
    });
  });

  it('uses an app-supplied authenticate(handshake)', async () => {
    const custom = await startTestServer({
      authenticate: (handshake) => {
        const user = (handshake.auth as { user?: unknown }).user;
        return user === 'mallory' ? null : typeof user === 'string' ? { userId: user } : null;
      },
    });
    try {
      expect(await refusal(custom.url, { user: 'mallory' })).toBe('unauthorized');
      const client = await connect(custom.url, 'oscar', { token: null, auth: { user: 'oscar' } });
      await client.ready();
      expect(client.users()).toEqual(['oscar']);
      client.close();
    } finally {
      await custom.close();
    }
  });
});

describe('limits', () => {
  it('refuses connections of a user over maxConnectionsPerUser, others unaffected', async () => {
    const capped = await startTestServer({ maxConnectionsPerUser: 3 });
    try {
      const own = [];
      for (let i = 0; i < 3; i++) own.push(await connect(capped.url, 'alice'));
      const token = await tokenFor('alice');
      expect(await refusal(capped.url, { token })).toBe('too_many_connections');
      const bob = await connect(capped.url, 'bob');
      await bob.ready();
      own[0]!.close();
      await waitFor(() => capped.server.gateway.stats().connections === 3);
      const again = await connect(capped.url, 'alice');
      await again.ready();
      expect(again.metas('alice')).toHaveLength(3);
      for (const c of [...own, bob, again]) c.close();
    } finally {
      await capped.close();
    }
  });
});

describe('state and diffs', () => {
  it('sends the own presence in the first state with status, device and online_at', async () => {
    const before = Date.now();
    const alice = await open('alice', { device: 'phone', status: 'busy' });
    expect(alice.users()).toEqual(['alice']);
    const [meta] = alice.metas('alice');
    expect(meta).toMatchObject({ status: 'busy', device: 'phone' });
    expect(typeof meta?.['phx_ref']).toBe('string');
    expect(meta?.['online_at']).toBeGreaterThanOrEqual(before);
    expect(meta).not.toHaveProperty('token');
  });

  it('shows the handshake kind in the meta; no kind leaves the meta without one (other)', async () => {
    const alice = await open('alice', { auth: { kind: 'mobile' } });
    const bob = await open('bob');
    await waitFor(() => bob.metas('alice').length === 1);
    expect(bob.metas('alice')[0]).toMatchObject({ kind: 'mobile' });
    await waitFor(() => alice.metas('bob').length === 1);
    expect(alice.metas('bob')[0]).not.toHaveProperty('kind');
  });

  it('friends see each other; a non-friend never appears', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    const carol = await open('carol');
    expect(bob.users()).toEqual(['alice', 'bob']);
    await waitFor(() => alice.users().includes('bob'), { description: 'alice sees bob' });
    expect(alice.users()).toEqual(['alice', 'bob']);
    expect(carol.users()).toEqual(['carol']);
    await bob.update({ status: 'away' });
    await waitFor(() => alice.metas('bob')[0]?.['status'] === 'away');
    const payloads = JSON.stringify([...alice.received, ...bob.received]);
    expect(payloads).not.toContain('carol');
    expect(JSON.stringify(carol.received)).not.toMatch(/alice|bob/);
  });

  it('a directed edge lets only its source see the target', async () => {
    const alice = await open('alice');
    const judy = await open('judy');
    expect(judy.users()).toEqual(['alice', 'judy']);
    await judy.update({ status: 'away' });
    await alice.update({ status: 'away' });
    await waitFor(() => judy.metas('alice')[0]?.['status'] === 'away');
    expect(alice.users()).toEqual(['alice']);
    expect(JSON.stringify(alice.received)).not.toContain('judy');
  });

  it('several devices of one user: each sees the others, friends see all of them', async () => {
    const phone = await open('alice', { device: 'phone' });
    const laptop = await open('alice', { device: 'laptop' });
    const bob = await open('bob');
    expect(
      laptop
        .metas('alice')
        .map((m) => m['device'])
        .sort(),
    ).toEqual(['laptop', 'phone']);
    await waitFor(() => phone.metas('alice').length === 2, { description: 'phone sees laptop' });
    expect(
      bob
        .metas('alice')
        .map((m) => m['device'])
        .sort(),
    ).toEqual(['laptop', 'phone']);
    laptop.close();
    await waitFor(() => bob.metas('alice').length === 1 && phone.metas('alice').length === 1, {
      description: 'laptop left',
    });
    expect(bob.metas('alice')[0]?.['device']).toBe('phone');
  });

  it('a disconnect is a leave for friends and untracks the connection', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await waitFor(() => alice.users().includes('bob'));
    bob.close();
    await waitFor(() => !alice.users().includes('bob'), { description: 'bob left' });
    expect(server.server.replica.view.count('user:bob')).toBe(0);
    const last = alice.received.at(-1);
    expect(last?.event).toBe('presence_diff');
  });
});
