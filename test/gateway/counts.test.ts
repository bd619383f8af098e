/**
 * Counts over real sockets: online users and connections (invisible ones never counted), friends
 * online as the graph and presences change (a blocked or invisible friend never counted), and
 * count-only rooms (acks, presence_count, validation, caps, authorizeRoom, a node going down).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import type { RoomCount, RoomJoinAck, UpdateAck } from '../../src/domain/client-protocol.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { seededRandom } from '../support/seeded-random.js';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let servers: TestServer[] = [];
let clients: TestClient[] = [];

async function open(server: TestServer, user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(server.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

function joinRoom(client: TestClient, room: unknown): Promise<RoomJoinAck> {
  return client.socket.timeout(5_000).emitWithAck('presence:room:join', room);
}

function leaveRoom(client: TestClient, room: string): Promise<UpdateAck> {
  return client.socket.timeout(5_000).emitWithAck('presence:room:leave', room);
}

/** The counts a client was told, in order. */
function countsHeard(client: TestClient): RoomCount[] {
  const heard: RoomCount[] = [];
  client.socket.on('presence_count', (update: RoomCount) => heard.push(update));
  return heard;
}

const lastCount = (heard: RoomCount[], room: string) =>
  heard.filter((h) => h.room === room).at(-1)?.count;

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  for (const server of servers) await server.close();
  servers = [];
});

describe('online counts', () => {
  it('count visible users and connections, never invisible ones', async () => {
    const server = await start();
    const { counts } = server.server;
    expect(counts.online()).toEqual({ users: 0, connections: 0 });
    await open(server, 'alice', { device: 'phone' });
    const laptop = await open(server, 'alice', { device: 'laptop' });
    await open(server, 'bob');
    const carol = await open(server, 'carol', { invisible: true });
    expect(counts.online()).toEqual({ users: 2, connections: 3 });
    expect(counts.topic('user:alice')).toEqual({ presences: 2, keys: 1 });
    expect(counts.topic('self:carol')).toEqual({ presences: 1, keys: 1 });

    expect(await carol.update({ invisible: false })).toEqual({ ok: true });
    expect(counts.online()).toEqual({ users: 3, connections: 4 });
    expect(await laptop.update({ invisible: true })).toEqual({ ok: true });
    expect(counts.online()).toEqual({ users: 3, connections: 3 });
    laptop.close();
    carol.close();
    await waitFor(() => counts.online().users === 2, { description: 'carol gone' });
    expect(counts.online()).toEqual({ users: 2, connections: 2 });
  });
});

describe('friends online', () => {
  it('follows presences and graph changes; invisible and blocked friends are not counted', async () => {
    const server = await start();
    const { graph } = server;
    const { counts } = server.server;
    for (const friend of ['bob', 'carol', 'dave']) await graph.addEdge('alice', friend);
    await open(server, 'alice');
    const bob = await open(server, 'bob');
    await open(server, 'carol', { invisible: true });
    // Not alice's friend: never counted.
    await open(server, 'mallory');
    const friendsOfAlice = async () => (await counts.friendsOnline('alice')).online;

    await waitFor(async () => (await friendsOfAlice()) === 1, { description: 'bob counted' });
    expect(await counts.friendsOnline('alice')).toEqual({ online: 1, source: 'maintained' });

    const dave = await open(server, 'dave');
    await waitFor(async () => (await friendsOfAlice()) === 2, { description: 'dave counted' });
    expect(await dave.update({ invisible: true })).toEqual({ ok: true });
    expect(await friendsOfAlice()).toBe(1);

    // bob blocks alice: she may no longer see him, he still sees her.
    await graph.removeEdge('alice', 'bob');
    await graph.addEdge('bob', 'alice', { directed: true });
    await waitFor(async () => (await friendsOfAlice()) === 0, { description: 'bob not counted' });
    await waitFor(async () => (await counts.friendsOnline('bob')).online === 1, {
      description: 'bob still counts alice',
    });

    await graph.addEdge('alice', 'mallory');
    await waitFor(async () => (await friendsOfAlice()) === 1, { description: 'mallory counted' });
    bob.close();
    expect(await friendsOfAlice()).toBe(1);
  });

  it('equals brute force after random graph changes and presence churn (seeded)', async () => {
    const seed = Number(process.env['COUNTS_SEED'] ?? 7);
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
    const server = await start();
    const { graph } = server;
    const { counts, replica } = server.server;
    const live: TestClient[] = [];
    for (let step = 0; step < 60; step++) {
      const roll = random();
      const a = pick(users);
      const b = pick(users.filter((u) => u !== a));
      if (roll < 0.25) await graph.addEdge(a, b, { directed: random() < 0.3 });
      else if (roll < 0.4)
        await graph.removeEdge(a, b, { directed: random() < 0.3 }).catch(() => {});
      else if (roll < 0.6) live.push(await open(server, a, { invisible: random() < 0.3 }));
      else if (roll < 0.75 && live.length > 0) {
        await pick(live).update({ invisible: random() < 0.5 });
      } else if (live.length > 0) {
        const gone = live.splice(Math.floor(random() * live.length), 1)[0]!;
        gone.close();
      }
    }
    const online = (user: string) => replica.view.count(`user:${user}`) > 0;
    const expected = (user: string) => graph.visibleToNow(user).filter(online).length;
    const connected = [...new Set(live.map((client) => client.user))];
    // Closed sockets leave the server a moment later: wait for the state to settle.
    await waitFor(
      async () => {
        for (const user of users) {
          const answer = await counts.friendsOnline(user);
          const source = connected.includes(user) ? 'maintained' : 'graph';
          if (answer.source !== source || answer.online !== expected(user)) return false;
        }
        return true;
      },
      { description: `friends online of every user match brute force (seed ${seed})` },
    );
  });

  it('answers for a user not connected here from the graph', async () => {
    const server = await start();
    await server.graph.addEdge('erin', 'bob');
    await server.graph.addEdge('erin', 'carol');
    await open(server, 'bob');
    await open(server, 'carol', { invisible: true });
    expect(await server.server.counts.friendsOnline('erin')).toEqual({
      online: 1,
      source: 'graph',
    });
  });
});

describe('count-only rooms', () => {
  it('ack the count, tell members when it changes, and never name a member', async () => {
    const server = await start({ timing: { broadcastPeriodMs: 50 } });
    const alice = await open(server, 'alice');
    const bob = await open(server, 'bob');
    const heardByAlice = countsHeard(alice);
    expect(await joinRoom(alice, 'lobby')).toEqual({ ok: true, count: 1 });
    expect(await joinRoom(bob, 'lobby')).toEqual({ ok: true, count: 2 });
    expect(await joinRoom(bob, 'lobby')).toEqual({ ok: true, count: 2 });
    await waitFor(() => lastCount(heardByAlice, 'lobby') === 2, { description: 'alice told 2' });
    expect(server.server.counts.room('lobby')).toBe(2);

    expect(await leaveRoom(bob, 'lobby')).toEqual({ ok: true });
    await waitFor(() => lastCount(heardByAlice, 'lobby') === 1, { description: 'alice told 1' });
    // Bob was told nothing after leaving, and nobody ever saw a user id or node in a count.
    expect(JSON.stringify(heardByAlice)).not.toMatch(/bob|alice|node/);
    expect(alice.users()).toEqual(['alice']);
  });

  it('do not count invisible connections, and count them again once visible', async () => {
    const server = await start({ timing: { broadcastPeriodMs: 50 } });
    const alice = await open(server, 'alice');
    const ghost = await open(server, 'ghost', { invisible: true });
    await joinRoom(alice, 'lobby');
    expect(await joinRoom(ghost, 'lobby')).toEqual({ ok: true, count: 1 });
    expect(await ghost.update({ invisible: false })).toEqual({ ok: true });
    expect(server.server.counts.room('lobby')).toBe(2);
    expect(await ghost.update({ invisible: true })).toEqual({ ok: true });
    expect(server.server.counts.room('lobby')).toBe(1);
  });

  it('refuse bad names, too many rooms and what authorizeRoom denies, with codes', async () => {
    const server = await start({
      rooms: {
        maxRoomsPerConnection: 2,
        authorizeRoom: (user, room) => room !== 'vip' || user === 'alice',
      },
    });
    const bob = await open(server, 'bob');
    const alice = await open(server, 'alice');
    for (const bad of ['', 'a b', 'x'.repeat(129), 42, undefined]) {
      const ack = await joinRoom(bob, bad);
      expect(ack.ok ? 'ok' : ack.error.code).toBe('invalid_room');
    }
    const denied = await joinRoom(bob, 'vip');
    expect(denied.ok ? 'ok' : denied.error.code).toBe('forbidden');
    expect(await joinRoom(alice, 'vip')).toEqual({ ok: true, count: 1 });
    await joinRoom(bob, 'r1');
    await joinRoom(bob, 'r2');
    const third = await joinRoom(bob, 'r3');
    expect(third.ok ? 'ok' : third.error.code).toBe('too_many_rooms');
    expect(server.server.counts.room('vip')).toBe(1);
  });

  it('add up across nodes, and a node that goes down loses its share on the others', async () => {
    const bus = createInMemoryBus();
    const timing = {
      broadcastPeriodMs: 50,
      maxSilentPeriods: 2,
      downPeriodMs: 200,
      permdownPeriodMs: 60_000,
    };
    const graph = new GraphologyFriendsGraph();
    const a = await start({ transport: bus.createTransport('node-a'), timing, graph });
    const b = await start({ transport: bus.createTransport('node-b'), timing, graph });
    const onA = await open(a, 'alice');
    const onB1 = await open(b, 'bob');
    const onB2 = await open(b, 'carol');
    const heardOnA = countsHeard(onA);
    await joinRoom(onA, 'lobby');
    await joinRoom(onB1, 'lobby');
    await joinRoom(onB2, 'lobby');
    await waitFor(() => lastCount(heardOnA, 'lobby') === 3, { description: 'A told 3' });
    await waitFor(() => b.server.counts.room('lobby') === 3, { description: 'B counts 3' });
    expect(a.server.counts.online()).toEqual({ users: 3, connections: 3 });

    // node B goes silent (no leave announced): after the down period A drops its share.
    b.server.replica.stop({ announce: false });
    await waitFor(() => lastCount(heardOnA, 'lobby') === 1, { description: 'A told 1' });
    expect(a.server.counts.online()).toEqual({ users: 1, connections: 1 });
  });
});
