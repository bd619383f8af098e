/**
 * `presence.query` on real presence servers with real clients: the backend's view (visible
 * devices only; an invisible user is offline, like one who is not connected), the view `as` a
 * viewer (friends only, the viewer's own invisible devices included), several nodes' presences
 * read from one node's replica, one graph lookup per query with `as` and none without, and the
 * coded errors of bad arguments and of a graph that does not answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../../src/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { type GraceNodes, startGraceNodes } from '../gateway/support/grace-cluster.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

const OFFLINE = { online: false, status: 'offline', devices: {}, lastSeen: null };

let server: TestServer | undefined;
let cluster: GraceNodes | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
  await cluster?.close();
  cluster = undefined;
});

async function open(url: string, user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

/** The graph, counting `visibleTo` calls. */
function countingGraph(inner: FriendsGraph, calls: { n: number }): FriendsGraph {
  return {
    visibleTo: (userId) => {
      calls.n++;
      return inner.visibleTo(userId);
    },
    subscribe: (listener) => inner.subscribe(listener),
    close: () => inner.close(),
  };
}

const plain = (answer: ReadonlyMap<string, unknown>) => Object.fromEntries(answer);

describe('presence.query, the backend view', () => {
  it('answers visible devices with their statuses; invisible or absent users are offline', async () => {
    server = await startTestServer();
    const { url } = server;
    await open(url, 'alice', { kind: 'web' });
    await open(url, 'alice', { kind: 'mobile', status: 'away' });
    await open(url, 'bob', { kind: 'web', status: 'busy' });
    await open(url, 'bob', { kind: 'mobile', invisible: true });
    await open(url, 'carol', { kind: 'web', invisible: true });
    await open(url, 'dave');

    const answer = await server.server.query(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect([...answer.keys()]).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(plain(answer)).toEqual({
      alice: {
        online: true,
        status: 'online',
        devices: { web: 'online', mobile: 'away' },
        lastSeen: null,
      },
      // bob's invisible phone is not there: the backend view never reveals invisibility.
      bob: { online: true, status: 'busy', devices: { web: 'busy' }, lastSeen: null },
      carol: OFFLINE,
      dave: { online: true, status: 'online', devices: { other: 'online' }, lastSeen: null },
      erin: OFFLINE,
    });
  });

  it('follows status updates, invisibility toggles and disconnects', async () => {
    server = await startTestServer();
    const web = await open(server.url, 'alice', { kind: 'web' });
    const status = async () => (await server!.server.query(['alice'])).get('alice');
    expect(await web.update({ status: 'away' })).toEqual({ ok: true });
    expect(await status()).toMatchObject({ status: 'away', devices: { web: 'away' } });
    expect(await web.update({ invisible: true })).toEqual({ ok: true });
    expect(await status()).toEqual(OFFLINE);
    expect(await web.update({ invisible: false })).toEqual({ ok: true });
    expect(await status()).toMatchObject({ online: true, status: 'away' });
    web.close();
    await waitFor(async () => (await status())?.online === false);
  });

  it('answers each id once, in the order first asked, and an empty list with nothing', async () => {
    server = await startTestServer();
    expect([...(await server.server.query(['b', 'a', 'b'])).keys()]).toEqual(['b', 'a']);
    expect((await server.server.query([])).size).toBe(0);
  });

  it('answers presences of every node from each node’s own replica', async () => {
    cluster = await startGraceNodes(2);
    const [a, b] = cluster.nodes as [TestServer, TestServer];
    await open(a.url, 'alice', { kind: 'web' });
    await open(b.url, 'alice', { kind: 'mobile', status: 'away' });
    await open(b.url, 'bob', { kind: 'desktop', status: 'busy' });
    const expected = {
      alice: {
        online: true,
        status: 'online',
        devices: { web: 'online', mobile: 'away' },
        lastSeen: null,
      },
      bob: { online: true, status: 'busy', devices: { desktop: 'busy' }, lastSeen: null },
    };
    for (const node of [a, b]) {
      // Until replication brought the other node's presences, the expectation throws.
      await waitFor(
        async () => {
          expect(plain(await node.server.query(['alice', 'bob']))).toEqual(expected);
          return true;
        },
        { description: 'each replica holds both nodes’ presences' },
      );
    }
  });
});

describe('presence.query as a viewer', () => {
  it('shows friends only, hides invisible friends, and shows the viewer their own devices', async () => {
    const calls = { n: 0 };
    server = await startTestServer({ wrapGraph: (graph) => countingGraph(graph, calls) });
    const { graph, url } = server;
    await graph.addEdge('alice', 'bob');
    await graph.addEdge('alice', 'carol');
    await open(url, 'alice', { kind: 'web' });
    await open(url, 'alice', { kind: 'mobile', invisible: true, status: 'away' });
    await open(url, 'bob', { kind: 'web' });
    await open(url, 'bob', { kind: 'mobile', invisible: true });
    await open(url, 'carol', { invisible: true });
    await open(url, 'dave', { kind: 'web' }); // online, but not alice's friend
    const before = calls.n;

    const answer = await server.server.query(['alice', 'bob', 'carol', 'dave'], { as: 'alice' });
    expect(calls.n - before).toBe(1);
    expect(plain(answer)).toEqual({
      // Her own client shows her invisible phone too.
      alice: {
        online: true,
        status: 'online',
        devices: { web: 'online', mobile: 'away' },
        lastSeen: null,
      },
      bob: { online: true, status: 'online', devices: { web: 'online' }, lastSeen: null },
      carol: OFFLINE,
      dave: OFFLINE,
    });
    // The backend view of alice does not show her invisible phone.
    expect((await server.server.query(['alice'])).get('alice')?.devices).toEqual({ web: 'online' });
    expect(calls.n - before).toBe(1);
  });

  it('follows the graph: a directed edge shows the one it points to, only to its source', async () => {
    server = await startTestServer();
    await server.graph.addEdge('alice', 'bob', { directed: true });
    await open(server.url, 'alice');
    await open(server.url, 'bob');
    expect((await server.server.query(['bob'], { as: 'alice' })).get('bob')?.online).toBe(true);
    expect((await server.server.query(['alice'], { as: 'bob' })).get('alice')?.online).toBe(false);
    await server.graph.removeEdge('alice', 'bob', { directed: true });
    expect((await server.server.query(['bob'], { as: 'alice' })).get('bob')?.online).toBe(false);
  });

  it('rejects with the graph error when the graph does not answer; the backend view still works', async () => {
    server = await startTestServer({
      graphRetry: { maxAttempts: 100 },
      wrapGraph: (graph) => ({
        visibleTo: () => Promise.reject(new Error('graph down')),
        subscribe: (listener) => graph.subscribe(listener),
        close: () => graph.close(),
      }),
    });
    const failure = server.server.query(['bob'], { as: 'alice' });
    await expect(failure).rejects.toMatchObject({
      name: 'GraphProviderError',
      code: 'PRESENCE_GRAPH_UNAVAILABLE',
    });
    expect((await server.server.query(['bob'])).get('bob')).toEqual(OFFLINE);
  });
});

describe('presence.query, bad arguments', () => {
  const cases: [string, unknown, unknown, string, RegExp][] = [
    ['not an array', 'alice', undefined, 'invalid_users', /userIds must be an array/],
    [
      '1,001 ids',
      Array.from({ length: 1001 }, (_, i) => `u${i}`),
      undefined,
      'too_many_users',
      /at most 1000 per query: split/,
    ],
    [
      'an empty id',
      ['alice', ''],
      undefined,
      'invalid_user',
      /userIds\[1\]: a user id must not be empty/,
    ],
    [
      'an id over 256 bytes',
      ['é'.repeat(129)],
      undefined,
      'invalid_user',
      /at most 256 bytes of UTF-8, got 258/,
    ],
    ['a number as id', [7], undefined, 'invalid_user', /must be a string, got number/],
    ['options not an object', ['alice'], 'bob', 'invalid_options', /options must be an object/],
    [
      'an unknown option',
      ['alice'],
      { viewer: 'bob' },
      'unknown_field',
      /unknown option "viewer": the options take as/,
    ],
    [
      'an empty viewer',
      ['alice'],
      { as: '' },
      'invalid_user',
      /options.as: a user id must not be empty/,
    ],
  ];
  it.each(cases)(
    'refuses %s with a coded error naming the fix',
    async (_, ids, options, reason, message) => {
      server ??= await startTestServer();
      const query = server.server.query as (ids: unknown, options?: unknown) => Promise<unknown>;
      const error = await query(ids, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidQueryError);
      expect(error).toMatchObject({ code: 'PRESENCE_INVALID_INPUT', reason });
      expect((error as Error).message).toMatch(message);
    },
  );

  it('accepts exactly 1,000 ids of 256 bytes', async () => {
    server = await startTestServer();
    const ids = Array.from({ length: 1000 }, (_, i) => String(i).padStart(256, 'x'));
    expect((await server.server.query(ids)).size).toBe(1000);
  });
});
