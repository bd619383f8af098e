/**
 * Oversize frames (issue 11, finding 7): a frame over the server's `maxHttpBufferSize` closes the
 * connection, and now the client learns why (WebSocket close code 1009, which the SDK reports as
 * `frame_too_large`) and the node counts it. Real server, real socket.io client, the real SDK.
 */
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPresenceClient,
  type PresenceClient,
  type PresenceClientError,
} from '../../src/client/index.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

let server: TestServer | undefined;
const sdks: PresenceClient[] = [];

afterEach(async () => {
  for (const sdk of sdks.splice(0)) sdk.disconnect();
  await server?.close();
  server = undefined;
});

const LIMIT = 2_048;

describe('oversize frames', () => {
  it('closes the WebSocket with code 1009 (Message Too Big) and counts it', async () => {
    server = await startTestServer({ socketIo: { maxHttpBufferSize: LIMIT } });
    const socket = io(`${server.url}/presence`, {
      auth: { token: await tokenFor('mallory') },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<{ reason: string; details: unknown }>((resolve) =>
      socket.once('disconnect', (reason, details) => resolve({ reason, details })),
    );
    socket.emit('presence:update', { blob: 'x'.repeat(LIMIT * 2) }, () => {});

    const { reason, details } = await closed;
    expect(reason).toBe('transport close');
    expect((details as { context?: { code?: number } }).context?.code).toBe(1009);
    await waitFor(() => server!.server.gateway.stats().framesTooLarge === 1, {
      description: 'the node counted the oversize frame',
    });
  });

  it.each(['websocket', 'polling'] as const)(
    'the SDK reports frame_too_large (%s: close 1009 or HTTP 413)',
    async (transport) => {
      server = await startTestServer({ socketIo: { maxHttpBufferSize: LIMIT } });
      const sdk = createPresenceClient(server.url, {
        token: () => tokenFor('alice'),
        socketOptions: { transports: [transport], reconnection: false },
      });
      sdks.push(sdk);
      const errors: PresenceClientError[] = [];
      sdk.onError((error) => errors.push(error));
      await waitFor(() => sdk.synced, { description: 'connected' });

      await expect(sdk.update({ note: 'x'.repeat(LIMIT * 2) })).rejects.toMatchObject({
        code: 'disconnected',
      });
      expect(errors.map((e) => e.code)).toContain('frame_too_large');
    },
  );
});
