/**
 * The client SDK's count-only rooms against a real presence server: joinRoom's count, `count`
 * events, server error codes, leaving, and rooms joined again after a reconnect.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

let server: TestServer | undefined;
const clients: PresenceClient[] = [];

async function open(user: string): Promise<{ client: PresenceClient; heard: string[] }> {
  const client = createPresenceClient(server!.url, {
    token: await tokenFor(user),
    socketOptions: {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 10,
      reconnectionDelayMax: 50,
    },
  });
  clients.push(client);
  const heard: string[] = [];
  client.on('count', (room, count) => heard.push(`${room}=${count}`));
  await waitFor(() => client.synced, { description: `${user} synced` });
  return { client, heard };
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await server?.close();
  server = undefined;
});

describe('client count-only rooms', () => {
  it('join with a count, hear changes, leave, and get server errors as codes', async () => {
    server = await startTestServer({ timing: { broadcastPeriodMs: 50 } });
    const alice = await open('alice');
    const bob = await open('bob');
    expect(await alice.client.joinRoom('lobby')).toBe(1);
    expect(await bob.client.joinRoom('lobby')).toBe(2);
    await waitFor(() => alice.heard.at(-1) === 'lobby=2', { description: 'alice heard 2' });
    expect(alice.client.roomCount('lobby')).toBe(2);

    await bob.client.leaveRoom('lobby');
    await waitFor(() => alice.heard.at(-1) === 'lobby=1', { description: 'alice heard 1' });
    expect(bob.client.roomCount('lobby')).toBeUndefined();

    await expect(alice.client.joinRoom('not a room')).rejects.toMatchObject({
      code: 'invalid_room',
    });
    expect(alice.client.roomCount('not a room')).toBeUndefined();
  });

  it('joins its rooms again after a reconnect', async () => {
    server = await startTestServer({ timing: { broadcastPeriodMs: 50 } });
    const alice = await open('alice');
    await alice.client.joinRoom('lobby');
    await alice.client.joinRoom('stage');
    const { counts } = server.server;
    expect([counts.room('lobby'), counts.room('stage')]).toEqual([1, 1]);

    const sockets = server.server.io.of('/presence').sockets;
    const before = [...sockets.keys()];
    for (const socket of sockets.values()) socket.conn.close();
    await waitFor(
      () =>
        sockets.size === 1 &&
        !before.includes([...sockets.keys()][0]!) &&
        counts.room('lobby') === 1 &&
        counts.room('stage') === 1,
      { description: 'alice reconnected and joined both rooms again' },
    );
  });
});
