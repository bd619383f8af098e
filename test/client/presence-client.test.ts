/**
 * The client SDK against a real socket.io server on port 0. The server is a protocol fixture:
 * a stand-in `/presence` namespace that checks the token, emits the payloads each test scripts
 * and acks `presence:update` (the real gateway is tested end to end elsewhere).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPresenceClient,
  type PresenceClient,
  PresenceClientError,
  type PresenceClientOptions,
} from '../../src/client/index.js';
import type { PresenceMap, PresencePatch, UpdateAck } from '../../src/domain/client-protocol.js';
import { waitFor } from '../support/wait-for.js';

interface Fixture {
  url: string;
  /** Every connection the namespace accepted, in order. */
  sockets: ServerSocket[];
  /** Every `presence:update` received: which connection, what patch. */
  updates: { socket: ServerSocket; patch: PresencePatch }[];
  /** What to send when a connection is accepted. */
  onConnection: (socket: ServerSocket) => void;
  /** How to answer an update (default: `{ok: true}`). */
  onUpdate: (patch: PresencePatch, ack: (response: UpdateAck) => void) => void;
  close(): Promise<void>;
}

async function startFixture(): Promise<Fixture> {
  const http = createServer();
  const io = new Server(http);
  const fixture: Fixture = {
    url: '',
    sockets: [],
    updates: [],
    onConnection: (socket) => socket.emit('presence_state', {}),
    onUpdate: (_patch, ack) => ack({ ok: true }),
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
  const nsp = io.of('/presence');
  nsp.use((socket, next) => {
    if (socket.handshake.auth['token'] === 'good') next();
    else next(new Error('unauthorized'));
  });
  nsp.on('connection', (socket) => {
    fixture.sockets.push(socket);
    socket.on('presence:update', (patch: PresencePatch, ack: (r: UpdateAck) => void) => {
      fixture.updates.push({ socket, patch });
      fixture.onUpdate(patch, ack);
    });
    fixture.onConnection(socket);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  fixture.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return fixture;
}

const meta = (ref: string, status = 'online', prev?: string) => ({
  phx_ref: ref,
  ...(prev === undefined ? {} : { phx_ref_prev: prev }),
  status,
  online_at: 1_700_000_000_000,
});

let fixture: Fixture | undefined;
const clients: PresenceClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await fixture?.close();
  fixture = undefined;
});

/** A client with fast reconnection and an event log. */
function connect(options: Partial<PresenceClientOptions> = {}) {
  const log: string[] = [];
  const errors: PresenceClientError[] = [];
  const client = createPresenceClient(fixture!.url, {
    token: 'good',
    device: 'test',
    ...options,
    socketOptions: {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 10,
      reconnectionDelayMax: 50,
      ...options.socketOptions,
    },
  });
  clients.push(client);
  const refs = (metas: readonly { phx_ref: string }[]) => metas.map((m) => m.phx_ref).join(',');
  client.onJoin((id, _current, joined) => log.push(`join ${id} +${refs(joined.metas)}`));
  client.onLeave((id, current, left) =>
    log.push(`leave ${id} -${refs(left.metas)} =${refs(current.metas)}`),
  );
  client.onUpdate((id, presence) =>
    log.push(`update ${id} ${presence.metas.map((m) => `${m.phx_ref}:${m.status}`).join(',')}`),
  );
  client.onSync(() => log.push('sync'));
  client.onError((error) => errors.push(error));
  return { client, log, errors };
}

/** The view as `{userId: [refs]}`. */
const view = (client: PresenceClient) =>
  Object.fromEntries(client.list().map((u) => [u.userId, u.metas.map((m) => m.phx_ref)]));

describe('presence client against a socket.io fixture', () => {
  it('queues diffs that arrive before the first state and applies them after it', async () => {
    fixture = await startFixture();
    fixture.onConnection = (socket) => {
      socket.emit('presence_diff', {
        joins: { bob: { metas: [meta('b2')] } },
        leaves: { carol: { metas: [meta('c1')] } },
      });
      socket.emit('presence_state', {
        alice: { metas: [meta('a1')] },
        bob: { metas: [meta('b1')] },
        carol: { metas: [meta('c1')] },
      });
    };
    const { client, log, errors } = connect();
    await waitFor(() => client.synced, { description: 'first state' });
    expect(view(client)).toEqual({ alice: ['a1'], bob: ['b1', 'b2'] });
    expect(log).toEqual(['join alice +a1', 'join bob +b1,b2', 'sync']);
    expect(client.get('carol')).toBeUndefined();
    expect(client.get('bob')?.metas[1]).toEqual(meta('b2'));

    // Live diffs: an update (one diff, phx_ref_prev) is one update; a device leaving is a leave.
    log.length = 0;
    const server = fixture.sockets[0]!;
    server.emit('presence_diff', {
      joins: { alice: { metas: [meta('a2', 'away', 'a1')] } },
      leaves: { alice: { metas: [meta('a1')] } },
    });
    server.emit('presence_diff', { joins: {}, leaves: { bob: { metas: [meta('b1')] } } });
    await waitFor(() => log.length === 4, { description: 'two diffs' });
    expect(log).toEqual(['update alice a2:away', 'sync', 'leave bob -b1 =b2', 'sync']);
    expect(view(client)).toEqual({ alice: ['a2'], bob: ['b2'] });
    expect(errors).toEqual([]);
  });

  it('resyncs after a reconnect: diffs queued until the new state, changes reported once', async () => {
    fixture = await startFixture();
    fixture.onConnection = (socket) => {
      if (fixture!.sockets.length === 1) {
        socket.emit('presence_state', {
          alice: { metas: [meta('a1')] },
          bob: { metas: [meta('b1')] },
        });
      } else {
        socket.emit('presence_diff', { joins: { dave: { metas: [meta('d1')] } }, leaves: {} });
        socket.emit('presence_state', {
          alice: { metas: [meta('a2', 'away', 'a1')] },
          carol: { metas: [meta('c1')] },
        });
      }
    };
    const { client, log } = connect({ status: 'online' });
    await waitFor(() => client.synced, { description: 'first state' });
    await client.setStatus('busy');
    await client.setInvisible(true);
    await client.update({ mood: 'happy' });
    log.length = 0;

    fixture.sockets[0]!.conn.close(); // kill the connection under the client
    await waitFor(() => fixture!.sockets.length === 2 && client.synced, {
      description: 'reconnected and resynced',
    });
    expect(view(client)).toEqual({ alice: ['a2'], carol: ['c1'], dave: ['d1'] });
    expect(log).toEqual([
      'update alice a2:away',
      'leave bob -b1 =',
      'join carol +c1',
      'join dave +d1',
      'sync',
    ]);

    // The new connection starts from the last acked status and the invisibility asked for (never
    // shown online, even for a moment), then gets the custom fields back.
    // The same lineage as the first connection: the server takes the device's entry over.
    const second = fixture.sockets[1]!;
    const lineage = fixture.sockets[0]!.handshake.auth['lineage'];
    expect(lineage).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(second.handshake.auth).toEqual({
      token: 'good',
      device: 'test',
      status: 'busy',
      invisible: true,
      lineage,
    });
    await waitFor(() => fixture!.updates.some((u) => u.socket === second), {
      description: 'reapplied fields',
    });
    expect(fixture.updates.filter((u) => u.socket === second).map((u) => u.patch)).toEqual([
      { mood: 'happy' },
    ]);
  });

  it('update resolves on {ok: true}, rejects with the server code on {ok: false} or on timeout', async () => {
    fixture = await startFixture();
    fixture.onUpdate = (patch, ack) => {
      if (patch.status === 'bad') {
        ack({ ok: false, error: { code: 'invalid_patch', message: 'status too long' } });
      } else if (patch.status !== 'silent') {
        ack({ ok: true });
      }
    };
    const { client } = connect();
    await waitFor(() => client.synced, { description: 'connected' });

    await expect(client.setStatus('away')).resolves.toBeUndefined();
    await expect(client.setInvisible(false)).resolves.toBeUndefined();
    expect(fixture.updates.map((u) => u.patch)).toEqual([{ status: 'away' }, { invisible: false }]);

    const refused = await client.setStatus('bad').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PresenceClientError);
    expect(refused).toMatchObject({ code: 'invalid_patch', message: 'status too long' });

    // A short timeout only on the request the server never answers: the others keep the default.
    const { client: impatient } = connect({ ackTimeoutMs: 100 });
    await waitFor(() => impatient.synced, { description: 'second client connected' });
    const unanswered = await impatient.setStatus('silent').catch((e: unknown) => e);
    expect(unanswered).toBeInstanceOf(PresenceClientError);
    expect(unanswered).toMatchObject({ code: 'timeout' });
  });

  it('an update made before the connection is sent once connected', async () => {
    fixture = await startFixture();
    const { client } = connect({ socketOptions: { autoConnect: false } });
    const pending = client.update({ status: 'busy', custom: 1 });
    expect(fixture.updates).toEqual([]);
    client.connect();
    await expect(pending).resolves.toBeUndefined();
    expect(fixture.updates.map((u) => u.patch)).toEqual([{ status: 'busy', custom: 1 }]);
  });

  it('a refused token surfaces as an error with code unauthorized', async () => {
    fixture = await startFixture();
    const { client, errors } = connect({ token: () => Promise.resolve('bad') });
    const pending = client.setStatus('away').catch((e: unknown) => e);
    await waitFor(() => errors.length > 0, { description: 'connect error' });
    expect(errors[0]).toBeInstanceOf(PresenceClientError);
    expect(errors[0]!.code).toBe('unauthorized');
    expect(client.connected).toBe(false);
    expect(await pending).toMatchObject({ code: 'unauthorized' });
    expect(fixture.sockets).toEqual([]);
  });

  it('reports an unreadable payload and keeps the view', async () => {
    fixture = await startFixture();
    fixture.onConnection = (socket) =>
      socket.emit('presence_state', { alice: { metas: [meta('a1')] } });
    const { client, errors } = connect();
    await waitFor(() => client.synced, { description: 'first state' });
    fixture.sockets[0]!.emit('presence_diff', { joins: { bob: { metas: 'nope' } } });
    fixture.sockets[0]!.emit('presence_state', 42);
    await waitFor(() => errors.length === 2, { description: 'two errors' });
    expect(errors.map((e) => e.code)).toEqual(['bad_payload', 'bad_payload']);
    expect(view(client)).toEqual({ alice: ['a1'] });
  });

  it('user ids such as __proto__ and constructor are ordinary ids over the wire', async () => {
    fixture = await startFixture();
    const state = JSON.parse(
      '{"__proto__":{"metas":[{"phx_ref":"p1","status":"online","online_at":1}]},' +
        '"constructor":{"metas":[{"phx_ref":"c1","status":"online","online_at":1}]}}',
    ) as PresenceMap;
    fixture.onConnection = (socket) => socket.emit('presence_state', state);
    const { client } = connect();
    await waitFor(() => client.synced, { description: 'first state' });
    expect(client.list().map((u) => [u.userId, u.metas.map((m) => m.phx_ref)])).toEqual([
      ['__proto__', ['p1']],
      ['constructor', ['c1']],
    ]);
    expect(client.get(JSON.parse('"__proto__"'))?.metas[0]?.phx_ref).toBe('p1');
    expect(client.get('constructor')?.metas[0]?.phx_ref).toBe('c1');
    expect(client.get('toString')).toBeUndefined();
    expect(({} as Record<string, unknown>)['metas']).toBeUndefined();
  });

  it('disconnect() rejects what is pending, empties the view and closes the connection', async () => {
    fixture = await startFixture();
    fixture.onConnection = (socket) =>
      socket.emit('presence_state', { alice: { metas: [meta('a1')] } });
    fixture.onUpdate = () => {}; // never acks
    const { client, log } = connect();
    await waitFor(() => client.synced, { description: 'first state' });
    const pending = client.setStatus('away').catch((e: unknown) => e);
    await waitFor(() => fixture!.updates.length === 1, { description: 'update received' });
    log.length = 0;
    client.disconnect();
    expect(await pending).toMatchObject({ code: 'disconnected' });
    expect(client.list()).toEqual([]);
    expect(log).toEqual([]);
    await waitFor(() => !fixture!.sockets[0]!.connected, { description: 'server saw it' });
  });

  it('a listener that throws is reported and does not break the sync', async () => {
    fixture = await startFixture();
    fixture.onConnection = (socket) =>
      socket.emit('presence_state', {
        alice: { metas: [meta('a1')] },
        bob: { metas: [meta('b1')] },
      });
    const { client, errors, log } = connect();
    client.onJoin((id) => {
      if (id === 'alice') throw new Error('boom');
    });
    await waitFor(() => client.synced, { description: 'first state' });
    expect(log).toEqual(['join alice +a1', 'join bob +b1', 'sync']);
    expect(errors.map((e) => e.code)).toEqual(['listener_error']);
    expect((errors[0]!.cause as Error).message).toBe('boom');
  });
});
