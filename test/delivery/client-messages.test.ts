/**
 * The SDK's side of delivery against a scripted socket.io server: each message shown once per id
 * and acked after the listeners ran, a retry acked again without being shown, bounded memory,
 * unreadable messages reported and not acked, no ack without a listener.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPresenceClient,
  type PresenceClient,
  type PresenceClientError,
  type PresenceMessage,
} from '../../src/client/index.js';
import { RecentIds } from '../../src/client/recent-ids.js';
import { waitFor } from '../support/wait-for.js';

let io: Server | undefined;
let client: PresenceClient | undefined;

afterEach(async () => {
  client?.disconnect();
  await new Promise<void>((resolve) => (io ? io.close(() => resolve()) : resolve()));
  io = undefined;
});

/** A server that accepts one client; resolves with the client and the server-side socket. */
async function connected(options: { messageMemory?: number } = {}) {
  const http = createServer();
  io = new Server(http);
  const sockets: ServerSocket[] = [];
  io.of('/presence').on('connection', (socket) => {
    sockets.push(socket);
    socket.emit('presence_state', {});
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  client = createPresenceClient(url, {
    token: 't',
    socketOptions: { transports: ['websocket'], reconnection: false, forceNew: true },
    ...options,
  });
  await waitFor(() => sockets.length === 1);
  return { client, socket: sockets[0]! };
}

/** Emits a message and resolves true on the client's ack, false when none came in time. */
function send(socket: ServerSocket, message: unknown, timeoutMs = 2_000): Promise<boolean> {
  return socket
    .timeout(timeoutMs)
    .emitWithAck('presence_message', message)
    .then(
      () => true,
      () => false,
    );
}

describe('client: delivered messages', () => {
  it('shows a message once, acks it after the listeners ran, and acks a retry unseen', async () => {
    const { client, socket } = await connected();
    const events: string[] = [];
    client.on('message', (message) => events.push(`shown ${message.id}`));
    const message = { id: 'm1', event: 'chat', payload: { text: 'hi' } };
    expect(await send(socket, message)).toBe(true);
    expect(await send(socket, message)).toBe(true);
    expect(events).toEqual(['shown m1']);
  });

  it('acks even when a listener throws, and reports the error', async () => {
    const { client, socket } = await connected();
    const errors: PresenceClientError[] = [];
    client.on('error', (error) => errors.push(error));
    client.on('message', () => {
      throw new Error('render failed');
    });
    expect(await send(socket, { id: 'm1', event: 'chat', payload: null })).toBe(true);
    expect(errors.map((e) => e.code)).toEqual(['listener_error']);
  });

  it('does not ack without a listener: the server falls back instead', async () => {
    const { client, socket } = await connected();
    expect(await send(socket, { id: 'm1', event: 'chat', payload: 1 }, 200)).toBe(false);
    const shown: PresenceMessage[] = [];
    client.onMessage((message) => shown.push(message));
    // Not remembered while unheard: the retry is shown.
    expect(await send(socket, { id: 'm1', event: 'chat', payload: 1 })).toBe(true);
    expect(shown).toHaveLength(1);
  });

  it('reports an unreadable message and does not ack it', async () => {
    const { client, socket } = await connected();
    const errors: PresenceClientError[] = [];
    client.on('error', (error) => errors.push(error));
    client.on('message', () => {});
    expect(await send(socket, { event: 'chat' }, 200)).toBe(false);
    expect(errors.map((e) => e.code)).toEqual(['bad_payload']);
  });

  it('remembers the last messageMemory ids', async () => {
    const { client, socket } = await connected({ messageMemory: 2 });
    const shown: string[] = [];
    client.on('message', (message) => shown.push(message.id));
    for (const id of ['a', 'b', 'a', 'c', 'b', 'a']) {
      await send(socket, { id, event: 'e', payload: null });
    }
    // 'a' was forgotten when 'c' came (capacity 2): shown again; 'b' still remembered.
    expect(shown).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('RecentIds', () => {
  it('forgets the oldest beyond its capacity and refuses a bad capacity', () => {
    const ids = new RecentIds(3);
    for (const id of ['1', '2', '3', '2', '4']) ids.add(id);
    expect(['1', '2', '3', '4'].map((id) => ids.has(id))).toEqual([false, true, true, true]);
    expect(() => new RecentIds(0)).toThrow(RangeError);
  });
});
