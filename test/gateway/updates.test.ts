/** presence:update over real sockets: validation, acks, rate limit, invisibility. */
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

beforeEach(async () => {
  server = await startTestServer({ rateLimit: { perSecond: 0.01, burst: 6 } });
  clients = [];
  await server.graph.addEdge('alice', 'bob');
});

afterEach(async () => {
  for (const client of clients) client.close();
  await server.close();
});

describe('presence:update', () => {
  it('applies a patch as one diff: new meta in joins with phx_ref_prev, old in leaves', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await waitFor(() => alice.users().includes('bob'));
    const oldRef = alice.metas('bob')[0]?.['phx_ref'];
    expect(await bob.update({ status: 'away', mood: 'happy', level: 3, typing: false })).toEqual({
      ok: true,
    });
    await waitFor(() => alice.metas('bob')[0]?.['status'] === 'away');
    const diff = alice.received.at(-1);
    expect(diff?.event).toBe('presence_diff');
    const payload = diff?.payload as {
      joins: Record<string, { metas: Record<string, unknown>[] }>;
    };
    expect(payload.joins['bob']?.metas[0]).toMatchObject({
      status: 'away',
      mood: 'happy',
      level: 3,
      typing: false,
      phx_ref_prev: oldRef,
    });
    expect(alice.metas('bob')).toHaveLength(1);
  });

  it('refuses invalid patches with invalid_patch and changes nothing', async () => {
    const bob = await open('bob');
    const bad: unknown[] = [
      null,
      'away',
      42,
      [1, 2],
      { nested: { a: 1 } },
      { list: [1] },
      { phx_ref: 'x' },
      { phx_ref_prev: 'x' },
      { online_at: 1 },
      { invisible: 'yes' },
      { status: 5 },
      { status: 'x'.repeat(65) },
      Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
      { big: 'x'.repeat(1100) },
    ];
    const relaxed = await startTestServer({ rateLimit: { perSecond: 1000, burst: 1000 } });
    try {
      const client = await connect(relaxed.url, 'bob');
      await client.ready();
      for (const patch of bad) {
        const ack = await client.update(patch);
        expect(ack, JSON.stringify(patch)).toMatchObject({
          ok: false,
          error: { code: 'invalid_patch' },
        });
        expect(typeof (ack as { error: { message: string } }).error.message).toBe('string');
      }
      expect(client.metas('bob')).toHaveLength(1);
      expect(client.metas('bob')[0]?.['status']).toBe('online');
      client.close();
    } finally {
      await relaxed.close();
    }
    expect(bob.received).toHaveLength(1);
  });

  it('refuses a patch that would make the whole meta too large with meta_too_large', async () => {
    const relaxed = await startTestServer({ rateLimit: { perSecond: 1000, burst: 1000 } });
    try {
      const client = await connect(relaxed.url, 'bob');
      await client.ready();
      const keys = (prefix: string) =>
        Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`${prefix}${i}`, i]));
      expect(await client.update(keys('a'))).toEqual({ ok: true });
      // Each patch is valid on its own; the merged meta is over 24 keys, then over 2048 bytes.
      expect(await client.update(keys('b'))).toMatchObject({
        ok: false,
        error: { code: 'meta_too_large' },
      });
      const text = (n: number) => ({ [`t${n}`]: 'x'.repeat(1000) });
      expect(await client.update(text(1))).toEqual({ ok: true });
      expect(await client.update(text(2))).toMatchObject({
        ok: false,
        error: { code: 'meta_too_large' },
      });
      await waitFor(() => client.metas('bob')[0]?.['t1'] !== undefined);
      expect(client.metas('bob')[0]).not.toHaveProperty('b0');
      expect(client.metas('bob')[0]).not.toHaveProperty('t2');
      client.close();
    } finally {
      await relaxed.close();
    }
  });

  it('survives garbage: no ack, an ack only, extra arguments', async () => {
    const bob = await open('bob');
    bob.socket.emit('presence:update');
    bob.socket.emit('presence:update', { status: 'a' });
    bob.socket.emit('presence:update', { status: 'b' }, 'not a function');
    const ackOnly = await new Promise((resolve) => bob.socket.emit('presence:update', resolve));
    expect(ackOnly).toMatchObject({ ok: false, error: { code: 'invalid_patch' } });
    expect(await bob.update({ status: 'c' })).toEqual({ ok: true });
    await waitFor(() => bob.metas('bob')[0]?.['status'] === 'c');
  });

  it('drops the connection of an oversized frame, others unaffected', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await waitFor(() => alice.users().includes('bob'));
    bob.socket.emit('presence:update', { status: 'x'.repeat(100_000) });
    // Dropped at the transport, as a network error would be: the leave grace keeps bob shown.
    await waitFor(() => server.server.gateway.socketsOf('bob').length === 0, {
      description: 'bob dropped',
    });
    expect(server.server.gateway.stats().graced).toBe(1);
    expect(await alice.update({ status: 'still here' })).toEqual({ ok: true });
  });

  it('rate limits per connection: over the limit the ack says so and nothing changes', async () => {
    const bob = await open('bob');
    const other = await open('bob');
    const acks = [];
    for (let i = 0; i < 9; i++) acks.push(await bob.update({ n: i }));
    const limited = acks.filter((ack) => !ack.ok);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const lastOk = acks
      .map((ack, i) => (ack.ok ? i : -1))
      .filter((i) => i >= 0)
      .at(-1);
    await waitFor(() => bob.metas('bob').some((m) => m['n'] === lastOk));
    // Another connection of the same user has its own bucket.
    expect(await other.update({ status: 'fine' })).toEqual({ ok: true });
  });
});

describe('invisible', () => {
  it('hides the user from friends while their own devices keep seeing them, and back', async () => {
    const phone = await open('alice', { device: 'phone' });
    const laptop = await open('alice', { device: 'laptop' });
    const bob = await open('bob');
    await waitFor(() => phone.metas('alice').length === 2);
    expect(bob.metas('alice')).toHaveLength(2);

    expect(await phone.update({ invisible: true })).toEqual({ ok: true });
    await waitFor(() => bob.metas('alice').length === 1, { description: 'bob lost the phone' });
    await waitFor(() => laptop.metas('alice').some((m) => m['invisible'] === true));
    expect(laptop.metas('alice')).toHaveLength(2);
    expect(bob.metas('alice')[0]?.['device']).toBe('laptop');

    expect(await laptop.update({ invisible: true })).toEqual({ ok: true });
    await waitFor(() => !bob.users().includes('alice'), { description: 'alice offline for bob' });
    // The own devices never saw alice go offline, and status updates still reach them.
    expect(await phone.update({ status: 'hiding' })).toEqual({ ok: true });
    await waitFor(() => laptop.metas('alice').some((m) => m['status'] === 'hiding'));
    expect(phone.metas('alice')).toHaveLength(2);
    // Her own devices never saw her go offline, after any payload.
    for (const client of [phone, laptop]) {
      for (const users of client.history) expect(users).toContain('alice');
    }
    expect(JSON.stringify(bob.received)).not.toContain('hiding');

    expect(await phone.update({ invisible: false })).toEqual({ ok: true });
    await waitFor(() => bob.metas('alice').length === 1, { description: 'phone back for bob' });
    expect(bob.metas('alice')[0]).toMatchObject({ device: 'phone', status: 'hiding' });
    expect(bob.metas('alice')[0]).not.toHaveProperty('invisible');
  });

  it('connects already invisible from the handshake', async () => {
    const bob = await open('bob');
    const alice = await open('alice', { invisible: true });
    expect(alice.metas('alice')[0]).toMatchObject({ invisible: true });
    await bob.update({ status: 'x' });
    await waitFor(() => bob.metas('bob')[0]?.['status'] === 'x');
    expect(alice.users()).toEqual(['alice', 'bob']);
    expect(bob.users()).toEqual(['bob']);
    expect(JSON.stringify(bob.received)).not.toContain('alice');
  });
});
