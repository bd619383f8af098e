/**
 * Invisible mode leaves no traces (issue 11, finding 4): coming back shows a fresh `online_at`,
 * `phx_ref`s say nothing about what other users did on the node, and the SDK never shows an
 * invisible user online across a reconnect. Real servers, real socket.io clients, the real SDK.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

let server: TestServer | undefined;
const clients: TestClient[] = [];
const sdks: PresenceClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const sdk of sdks.splice(0)) sdk.disconnect();
  await server?.close();
  server = undefined;
});

async function open(user: string, options: Parameters<typeof connect>[2] = {}) {
  const client = await connect(server!.url, user, options);
  clients.push(client);
  await client.ready();
  return client;
}

const onlineAt = (client: TestClient, user: string) =>
  client.metas(user).map((m) => m['online_at'] as number);

describe('invisible without traces', () => {
  it('coming back from invisible announces a fresh online_at, not the original one', async () => {
    server = await startTestServer();
    await server.graph.addEdge('alice', 'bob');
    const alice = await open('alice');
    const bob = await open('bob');
    await waitFor(() => onlineAt(bob, 'alice').length === 1, { description: 'bob sees alice' });
    const [first] = onlineAt(bob, 'alice');

    expect(await alice.update({ invisible: true })).toEqual({ ok: true });
    await waitFor(() => !bob.users().includes('alice'), { description: 'alice hidden' });
    // The wall clock moves on while she is hidden (a wait for the clock, not for the server).
    await waitFor(() => Date.now() > first! + 1, { description: 'the clock moved' });
    const cameBack = Date.now();
    expect(await alice.update({ invisible: false })).toEqual({ ok: true });

    await waitFor(() => bob.users().includes('alice'), { description: 'alice visible again' });
    const [again] = onlineAt(bob, 'alice');
    expect(again).toBeGreaterThanOrEqual(cameBack);
    expect(again).not.toBe(first);
  });

  it("a friend's refs carry no counter: other users' activity in between cannot be read from them", async () => {
    server = await startTestServer();
    await server.graph.addEdge('alice', 'bob');
    const alice = await open('alice');
    const bob = await open('bob');
    const refs: string[] = [];
    const prevs: string[] = [];
    bob.socket.on('presence_diff', (diff: { joins: Record<string, { metas: never[] }> }) => {
      for (const meta of diff.joins['alice']?.metas ?? []) {
        const { phx_ref, phx_ref_prev } = meta as { phx_ref: string; phx_ref_prev?: string };
        refs.push(phx_ref);
        if (phx_ref_prev !== undefined) prevs.push(phx_ref_prev);
      }
    });

    expect(await alice.update({ status: 'away' })).toEqual({ ok: true });
    // Others act in between: strangers connect, update, go invisible (none of them bob's friend).
    const carol = await open('carol');
    const dave = await open('dave', { invisible: true });
    for (let i = 0; i < 5; i++)
      expect(await carol.update({ status: `s${i}` })).toEqual({ ok: true });
    expect(await dave.update({ status: 'hidden' })).toEqual({ ok: true });
    expect(await alice.update({ status: 'busy' })).toEqual({ ok: true });
    await waitFor(() => refs.length === 2, { description: "bob saw both of alice's updates" });

    const [first, second] = refs as [string, string];
    // Opaque, fixed-length base64url: no replica tag, no counter (before: tag + base-36 counter).
    for (const ref of refs) expect(ref).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sharedPrefix(first, second)).toBeLessThan(7);
    // Still Phoenix's contract: the update names the meta it replaced.
    expect(prevs[1]).toBe(first);
    expect(new Set([...refs, ...prevs]).size).toBe(3);
  });

  it('the SDK keeps an invisible user hidden across a forced reconnect: the friend never sees them', async () => {
    server = await startTestServer();
    await server.graph.addEdge('alice', 'bob');
    const bob = await open('bob');
    const sdk = createPresenceClient(server.url, {
      token: () => tokenFor('alice'),
      device: 'phone',
      socketOptions: { transports: ['websocket'], reconnectionDelay: 10, reconnectionDelayMax: 20 },
    });
    sdks.push(sdk);
    await waitFor(() => sdk.synced, { description: 'alice connected' });
    await sdk.setInvisible(true);
    await waitFor(() => !bob.users().includes('alice'), { description: 'alice hidden' });
    const seenFrom = bob.history.length;
    const firstSocket = sdk.socket.id;

    // A network loss: the engine closes under the SDK, which reconnects on its own.
    sdk.socket.io.engine.close();
    await waitFor(
      () =>
        sdk.synced &&
        sdk.socket.id !== firstSocket &&
        server!.server.replica.view.get('self:alice', 'alice').length === 1,
      { description: 'alice reconnected, invisible' },
    );
    // A later change of bob's view after alice is back proves bob's diffs kept flowing.
    const carol = await open('carol');
    await server.graph.addEdge('carol', 'bob');
    await waitFor(() => bob.users().includes('carol'), { description: 'bob sees carol' });
    expect(carol.user).toBe('carol');

    expect(bob.history.slice(seenFrom).some((users) => users.includes('alice'))).toBe(false);
    expect(server.server.replica.view.get('user:alice', 'alice')).toEqual([]);
  });
});

function sharedPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && a[n] === b[n]) n++;
  return n;
}
