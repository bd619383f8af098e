/**
 * `deliver` on one node: real socket.io clients (the SDK), the real gateway. Delivered only on a
 * client ack; otherwise the fallback hook, whatever happens to it; close() and bad input.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UndeliveredMessage } from '../../src/delivery/index.js';
import { InvalidDeliveryError, MAX_PAYLOAD_BYTES } from '../../src/delivery/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import type { Logger } from '../../src/ports/logger.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';
import { type Inbox, openInbox } from './support/inbox.js';

let server: TestServer | undefined;
const inboxes: Inbox[] = [];

afterEach(async () => {
  for (const inbox of inboxes.splice(0)) inbox.close();
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer(options);
  return server;
}

async function inbox(user: string, options: Parameters<typeof openInbox>[2] = {}) {
  const opened = await openInbox(server!.url, user, options);
  inboxes.push(opened);
  return opened;
}

describe('deliver on one node', () => {
  it('resolves delivered once the client acked, and the client shows the message', async () => {
    const { server: presence } = await start();
    const alice = await inbox('alice');
    const result = await presence.deliver('alice', 'chat', { text: 'hi' });
    expect(result).toEqual({ delivered: true, id: expect.any(String), connections: 1 });
    expect(alice.shown).toEqual([{ id: result.id, event: 'chat', payload: { text: 'hi' } }]);
    expect(presence.delivery?.stats()).toMatchObject({ delivered: 1, broadcasts: 0, pending: 0 });
  });

  it("counts every acking connection with ack: 'all', at least one with 'first'", async () => {
    const { server: presence } = await start();
    const phone = await inbox('alice');
    const laptop = await inbox('alice');
    const all = await presence.deliver('alice', 'chat', 1, { ack: 'all' });
    expect(all).toMatchObject({ delivered: true, connections: 2 });
    const first = await presence.deliver('alice', 'chat', 2);
    expect(first).toMatchObject({ delivered: true });
    await waitFor(() => phone.shown.length === 2 && laptop.shown.length === 2);
    expect(phone.shown.map((m) => m.payload)).toEqual([1, 2]);
  });

  it('reaches an invisible connection', async () => {
    const { server: presence } = await start();
    const alice = await inbox('alice');
    await alice.client.setInvisible(true);
    expect(await presence.deliver('alice', 'chat', null)).toMatchObject({ delivered: true });
    expect(alice.shown).toHaveLength(1);
  });

  it('sends to a connection that joins while the delivery waits', async () => {
    const { server: presence } = await start();
    const pending = presence.deliver('alice', 'chat', 'late', { timeoutMs: 20_000 });
    await waitFor(() => presence.delivery!.stats().broadcasts === 1);
    const alice = await inbox('alice');
    expect(await pending).toMatchObject({ delivered: true, connections: 1 });
    expect(alice.shown.map((m) => m.payload)).toEqual(['late']);
    expect(presence.delivery!.stats().joinRetries).toBe(1);
  });

  it('hands a message nobody acks to the fallback hook', async () => {
    const handed: UndeliveredMessage[] = [];
    const { server: presence } = await start({
      delivery: { onUndelivered: (message) => void handed.push(message) },
    });
    const result = await presence.deliver('bob', 'chat', { text: 'hi' }, { timeoutMs: 50 });
    expect(result).toEqual({ delivered: false, id: result.id, reason: 'timeout', fallback: true });
    expect(handed).toEqual([
      { id: result.id, userId: 'bob', event: 'chat', payload: { text: 'hi' }, reason: 'timeout' },
    ]);
    expect(presence.delivery!.stats()).toMatchObject({ fallback: 1, delivered: 0, pending: 0 });
  });

  it('tells the caller when there is no fallback hook', async () => {
    const { server: presence } = await start();
    expect(await presence.deliver('bob', 'chat', 1, { timeoutMs: 20 })).toMatchObject({
      delivered: false,
      reason: 'timeout',
      fallback: false,
    });
    expect(presence.delivery!.stats().failed).toBe(1);
  });

  it('reports and logs a hook that throws or rejects', async () => {
    const error = vi.fn();
    const logger = { debug() {}, info() {}, warn() {}, error } as unknown as Logger;
    let calls = 0;
    const { server: presence } = await start({
      logger,
      delivery: {
        onUndelivered: async () => {
          calls++;
          if (calls === 1) throw new Error('push service down');
          return Promise.reject(new Error('still down'));
        },
      },
    });
    const thrown = await presence.deliver('bob', 'chat', 1, { timeoutMs: 10 });
    const rejected = await presence.deliver('bob', 'chat', 2, { timeoutMs: 10 });
    expect(thrown).toMatchObject({
      delivered: false,
      fallback: false,
      fallbackError: 'push service down',
    });
    expect(rejected).toMatchObject({
      delivered: false,
      fallback: false,
      fallbackError: 'still down',
    });
    expect(error).toHaveBeenCalledTimes(2);
    expect(presence.delivery!.stats().failed).toBe(2);
  });

  it('does not count a client without a message listener as delivered', async () => {
    const handed: UndeliveredMessage[] = [];
    const { server: presence } = await start({
      delivery: { onUndelivered: (message) => void handed.push(message) },
    });
    await inbox('alice', { listen: false });
    expect(await presence.deliver('alice', 'chat', 1, { timeoutMs: 100 })).toMatchObject({
      delivered: false,
      fallback: true,
    });
    expect(handed).toHaveLength(1);
  });

  it('close() hands pending deliveries to the fallback, and so are later calls', async () => {
    const handed: UndeliveredMessage[] = [];
    const { server: presence } = await start({
      delivery: { onUndelivered: (message) => void handed.push(message) },
    });
    const pending = presence.deliver('bob', 'chat', 1, { timeoutMs: 60_000 });
    await waitFor(() => presence.delivery!.stats().pending === 1);
    await server!.close();
    server = undefined;
    expect(await pending).toMatchObject({ delivered: false, reason: 'closed', fallback: true });
    expect(await presence.deliver('bob', 'chat', 2)).toMatchObject({
      delivered: false,
      reason: 'closed',
      fallback: true,
    });
    expect(handed.map((m) => m.payload)).toEqual([1, 2]);
  });

  it('gives every message its own id', async () => {
    const { server: presence } = await start();
    await inbox('alice');
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await presence.deliver('alice', 'chat', i)).id);
    expect(ids.size).toBe(20);
  });
});

describe('deliver refuses bad input with a coded error', () => {
  const cases: [string, Parameters<TestServer['server']['deliver']>, string][] = [
    ['empty user', ['', 'chat', 1], 'invalid_user'],
    ['non-string user', [42 as unknown as string, 'chat', 1], 'invalid_user'],
    ['long user', ['u'.repeat(257), 'chat', 1], 'invalid_user'],
    ['empty event', ['alice', '', 1], 'invalid_event'],
    ['long event', ['alice', 'e'.repeat(65), 1], 'invalid_event'],
    ['cyclic payload', ['alice', 'chat', cyclic()], 'invalid_payload'],
    ['function payload', ['alice', 'chat', () => 1], 'invalid_payload'],
    ['bigint payload', ['alice', 'chat', { n: 1n }], 'invalid_payload'],
    ['huge payload', ['alice', 'chat', 'x'.repeat(MAX_PAYLOAD_BYTES)], 'payload_too_large'],
    ['zero timeout', ['alice', 'chat', 1, { timeoutMs: 0 }], 'invalid_timeout'],
    ['long timeout', ['alice', 'chat', 1, { timeoutMs: 60_001 }], 'invalid_timeout'],
    ['fractional timeout', ['alice', 'chat', 1, { timeoutMs: 1.5 }], 'invalid_timeout'],
    ['unknown ack', ['alice', 'chat', 1, { ack: 'most' as 'all' }], 'invalid_ack'],
  ];
  it.each(cases)('%s', async (_name, args, reason) => {
    const { server: presence } = await start();
    const error = await presence.deliver(...args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDeliveryError);
    expect(error).toMatchObject({ code: 'PRESENCE_INVALID_INPUT', reason });
    expect(presence.delivery!.stats().pending).toBe(0);
  });

  it('sends plain JSON: what a remote node would show', async () => {
    const { server: presence } = await start();
    const alice = await inbox('alice');
    await presence.deliver('alice', 'a', { at: new Date(0), gone: undefined });
    await presence.deliver('alice', 'b');
    expect(alice.shown.map((m) => m.payload)).toEqual([{ at: '1970-01-01T00:00:00.000Z' }, null]);
  });
});

describe('delivery set-up', () => {
  it('refuses deliver in a cluster without a deliveryTransport, naming the option', async () => {
    const { server: presence } = await start({
      transport: createInMemoryBus().createTransport('node-a'),
    });
    const error = await presence.deliver('alice', 'chat', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(/deliveryTransport/);
    expect(presence.delivery).toBeUndefined();
  });

  it("refuses the tracker's own transport or another node's name", async () => {
    const transport = createInMemoryBus().createTransport('node-a');
    await expect(start({ transport, deliveryTransport: transport })).rejects.toThrow(
      /must not be the tracker's transport/,
    );
    await expect(
      start({ transport, deliveryTransport: createInMemoryBus().createTransport('node-b') }),
    ).rejects.toThrow(/differs from the node name/);
    await expect(start({ delivery: { timeoutMs: 0 } })).rejects.toThrow(/delivery.timeoutMs/);
    await expect(
      start({ delivery: { onUndelivered: 'push' as unknown as () => void } }),
    ).rejects.toThrow(/onUndelivered must be a function/);
    await transport.close();
  });
});

function cyclic(): unknown {
  const value: Record<string, unknown> = {};
  value['self'] = value;
  return value;
}
