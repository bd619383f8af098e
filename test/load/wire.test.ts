/**
 * The load workers' raw socket.io wire (load/clients/wire.ts, load/clients/connections.ts)
 * against a real socket.io server: the handshake's auth, events, acks both ways, and the
 * `overloaded` refusal retried after its hint and counted. Correctness only, never timing.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { Connections } from '../../load/clients/connections.js';
import { Measurements } from '../../load/clients/measurements.js';
import type { WorkerInit } from '../../load/clients/protocol.js';
import { WireSocket } from '../../load/clients/wire.js';
import { seededRandom } from '../../load/social-graph/seeded-random.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'wire-test-secret-of-at-least-32-bytes';
let http: HttpServer | undefined;
let io: Server | undefined;

afterEach(async () => {
  await io?.close();
  http?.close();
  io = undefined;
  http = undefined;
});

async function listen(): Promise<{ url: string; io: Server }> {
  http = createServer();
  io = new Server(http, { transports: ['websocket'] });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, io };
}

describe('load worker wire (raw websocket)', () => {
  it('connects with its auth, receives events, and acks both ways', async () => {
    const { url, io } = await listen();
    const seen: { auth?: unknown; update?: unknown; messageAcked?: boolean } = {};
    io.of('/presence').on('connection', (socket) => {
      seen.auth = socket.handshake.auth;
      socket.on('presence:update', (patch: unknown, ack: (r: unknown) => void) => {
        seen.update = patch;
        ack({ ok: true });
        socket.emit('presence_diff', { joins: { u: { metas: [{ phx_ref: 'b' }] } }, leaves: {} });
        socket.emit('presence_message', { id: 'm1', event: 'hi', payload: { q: 1 } }, () => {
          seen.messageAcked = true;
        });
      });
      socket.emit('presence_state', {});
    });
    const events: [string, unknown][] = [];
    let acked: unknown[] | undefined;
    let connected = false;
    const wire = new WireSocket(
      url,
      '/presence',
      { token: 't', device: '1.0.0' },
      {
        onConnect: () => {
          connected = true;
        },
        onConnectError: () => {},
        onClose: () => {},
        onEvent: (name, payload, ack) => {
          events.push([name, payload]);
          if (name === 'presence_state') {
            wire.emit('presence:update', { q: 7 }, (args) => {
              acked = args;
            });
          }
          ack?.();
        },
      },
    );
    await waitFor(() => seen.messageAcked === true, { description: 'the message acked' });
    expect(connected).toBe(true);
    expect(seen.auth).toEqual({ token: 't', device: '1.0.0' });
    expect(seen.update).toEqual({ q: 7 });
    expect(acked).toEqual([{ ok: true }]);
    expect(events.map(([name]) => name)).toEqual([
      'presence_state',
      'presence_diff',
      'presence_message',
    ]);
    expect(events[1]![1]).toEqual({ joins: { u: { metas: [{ phx_ref: 'b' }] } }, leaves: {} });
    wire.close();
  });

  it('retries a connection refused with overloaded after the hint, and counts the refusals', async () => {
    const { url, io } = await listen();
    let refusalsLeft = 2;
    io.of('/presence').use((_socket, next) => {
      if (refusalsLeft === 0) return next();
      refusalsLeft -= 1;
      const refusal = new Error('overloaded') as Error & { data?: unknown };
      refusal.data = { retryAfterMs: 20 };
      next(refusal);
    });
    io.of('/presence').on('connection', (socket) => socket.emit('presence_state', {}));
    const init: WorkerInit = {
      kind: 'init',
      index: 0,
      urls: [url],
      secret: SECRET,
      connections: [{ id: 0, user: 'u0', node: 0 }],
      seed: 1,
      connectTimeoutMs: 10_000,
      client: 'raw',
      reconnect: { enabled: false, jitterMs: 0 },
      countReceipts: false,
    };
    const measure = new Measurements({ countReceipts: false, watchNode: undefined });
    const connections = new Connections(init, measure, seededRandom(1));
    await connections.prepareTokens([0]);
    const client = connections.get(0);
    const result = await new Promise<boolean>((resolve) => connections.open(client, 's', resolve));
    expect(result).toBe(true);
    expect(client.up).toBe(true);
    expect(measure.counters.connectRefusals).toBe(2);
    expect(measure.counters.connectErrors).toBe(0);
    expect(measure.counters.connectTimeouts).toBe(0);
    expect(measure.counters.connectAttempts).toBe(1);
    expect(measure.counters.presenceStates).toBe(1);
    connections.close(client);
  });
});
