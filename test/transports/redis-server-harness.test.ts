import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../support/redis-server.js';

/** Whether anything accepts a TCP connection on the loopback port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('redis-server test harness', () => {
  it('starts, stops and starts again on the same port, then disposes', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await isListening(server.port)).toBe(true);
      await server.stop();
      expect(server.isRunning()).toBe(false);
      expect(await isListening(server.port)).toBe(false);
      await server.start();
      expect(await isListening(server.port)).toBe(true);
      await server.stop({ signal: 'SIGKILL' });
      expect(await isListening(server.port)).toBe(false);
      await server.start();
    } finally {
      await server.dispose();
      await server.dispose();
    }
    expect(server.isRunning()).toBe(false);
    expect(await isListening(server.port)).toBe(false);
  });

  it('fails clearly when the binary does not exist', async () => {
    await expect(startRedisServer({ binary: '/nonexistent/redis-server' })).rejects.toThrow(
      /could not start redis-server/,
    );
  });
});
