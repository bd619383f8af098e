/**
 * The SDK's device kinds, per-user aggregate status, online/offline events and idle tracking
 * against a real presence server (one node, real sockets). Idleness runs on a manual clock; the
 * server and the sockets run for real.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createPresenceClient,
  type PresenceClient,
  type PresenceClientOptions,
} from '../../src/client/index.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { waitFor } from '../support/wait-for.js';

let server: TestServer;
const clients: PresenceClient[] = [];

beforeEach(async () => {
  server = await startTestServer({ lastSeen: false }); // no store: offline carries null
  await server.graph.addEdge('alice', 'bob');
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await server.close();
});

async function open(user: string, options: Partial<PresenceClientOptions> = {}) {
  const client = createPresenceClient(server.url, {
    token: await tokenFor(user),
    socketOptions: { transports: ['websocket'], forceNew: true },
    ...options,
  });
  clients.push(client);
  await waitFor(() => client.synced, { description: `${user} synced` });
  return client;
}

/** Closes one client on purpose (an explicit leave: no leave grace). */
function close(client: PresenceClient): void {
  client.disconnect();
  clients.splice(clients.indexOf(client), 1);
}

/** bob's online/offline events, in order. */
function events(bob: PresenceClient): string[] {
  const heard: string[] = [];
  bob.onOnline((user) => heard.push(`online ${user}`));
  bob.onOffline((user, lastSeen) => heard.push(`offline ${user} ${String(lastSeen)}`));
  return heard;
}

describe('device kind and statusOf', () => {
  it('sends the kind in the handshake; friends see it in the meta and in statusOf', async () => {
    const bob = await open('bob');
    await open('alice', { kind: 'mobile' });
    await waitFor(() => bob.get('alice') !== undefined, { description: 'bob sees alice' });
    expect(bob.get('alice')?.metas[0]).toMatchObject({ kind: 'mobile' });
    expect(bob.statusOf('alice')).toEqual({ status: 'online', kinds: { mobile: 'online' } });
  });

  it('aggregates two devices: online beats away; per kind; offline when none is left', async () => {
    const bob = await open('bob');
    const web = await open('alice', { kind: 'web' });
    const desktop = await open('alice', { kind: 'desktop' });
    await web.setStatus('away');
    await waitFor(() => bob.statusOf('alice').kinds.web === 'away', { description: 'web away' });
    expect(bob.statusOf('alice')).toEqual({
      status: 'online',
      kinds: { web: 'away', desktop: 'online' },
    });
    close(desktop);
    await waitFor(() => bob.statusOf('alice').kinds.desktop === undefined);
    expect(bob.statusOf('alice')).toEqual({ status: 'away', kinds: { web: 'away' } });
    close(web);
    await waitFor(() => bob.get('alice') === undefined);
    expect(bob.statusOf('alice')).toEqual({ status: 'offline', kinds: {} });
  });

  it('refuses a bad kind or idleAfterMs at construction, naming the option', () => {
    const base = { token: 't', socketOptions: { autoConnect: false } };
    expect(() => createPresenceClient(server.url, { ...base, kind: 'tablet' as never })).toThrow(
      /^kind must be one of web, mobile, desktop, other, got tablet$/,
    );
    expect(() => createPresenceClient(server.url, { ...base, idleAfterMs: -1 })).toThrow(
      /^idleAfterMs must be a whole number of milliseconds/,
    );
  });

  it('a client without a kind counts as other', async () => {
    const bob = await open('bob');
    await open('alice', { status: 'busy' });
    await waitFor(() => bob.get('alice') !== undefined);
    expect(bob.statusOf('alice')).toEqual({ status: 'busy', kinds: { other: 'busy' } });
  });
});

describe('online and offline events', () => {
  it('fire only on first join and last leave while devices come and go', async () => {
    const bob = await open('bob');
    const heard = events(bob);
    const web = await open('alice', { kind: 'web' });
    await waitFor(() => heard.length === 1, { description: 'online' });
    // A move: the phone joins, the web tab closes, a desktop joins, the phone closes.
    const mobile = await open('alice', { kind: 'mobile' });
    await waitFor(() => bob.statusOf('alice').kinds.mobile === 'online');
    close(web);
    await waitFor(() => bob.statusOf('alice').kinds.web === undefined);
    const desktop = await open('alice', { kind: 'desktop' });
    await waitFor(() => bob.statusOf('alice').kinds.desktop === 'online');
    close(mobile);
    await waitFor(() => bob.statusOf('alice').kinds.mobile === undefined);
    expect(heard).toEqual(['online alice']);
    close(desktop);
    await waitFor(() => heard.length === 2, { description: 'offline' });
    expect(heard).toEqual(['online alice', 'offline alice null']);
    // Back again: a new first join.
    await open('alice');
    await waitFor(() => heard.length === 3, { description: 'online again' });
    expect(heard).toEqual(['online alice', 'offline alice null', 'online alice']);
  });

  it('a status change is no online or offline event', async () => {
    const bob = await open('bob');
    const heard = events(bob);
    const alice = await open('alice');
    await alice.setStatus('away');
    await alice.setStatus('busy');
    await waitFor(() => bob.statusOf('alice').status === 'busy');
    expect(heard).toEqual(['online alice']);
  });
});

describe('idle and away on a real server', () => {
  it('one update to away after idleAfterMs, none per activity, one back on activity', async () => {
    const clock = new ManualClock();
    const bob = await open('bob');
    const updates: string[] = [];
    bob.onUpdate((user, presence) => {
      if (user === 'alice') updates.push(String(presence.metas[0]?.status));
    });
    const alice = await open('alice', { idleAfterMs: 60_000, idleClock: clock });
    await waitFor(() => bob.get('alice') !== undefined);
    for (let i = 0; i < 50; i++) {
      clock.advance(1_000);
      alice.activity();
    }
    clock.advance(60_000);
    expect(alice.idle).toBe(true);
    await waitFor(() => bob.statusOf('alice').status === 'away', { description: 'away' });
    for (let i = 0; i < 50; i++) alice.activity();
    await waitFor(() => bob.statusOf('alice').status === 'online', { description: 'back' });
    // A barrier: a later change arrives after anything the activity could have sent.
    await alice.update({ mood: 'ok' });
    await waitFor(() => bob.get('alice')?.metas[0]?.['mood'] === 'ok');
    expect(updates).toEqual(['away', 'online', 'online']);
  });

  it("the app's setStatus while away wins; idleness leaves it alone", async () => {
    const clock = new ManualClock();
    const bob = await open('bob');
    const alice = await open('alice', { idleAfterMs: 60_000, idleClock: clock });
    clock.advance(60_000);
    await waitFor(() => bob.statusOf('alice').status === 'away', { description: 'away' });
    await alice.setStatus('dnd');
    await waitFor(() => bob.statusOf('alice').status === 'dnd', { description: 'dnd' });
    clock.advance(10 * 60_000);
    alice.activity();
    await alice.update({ mood: 'ok' });
    await waitFor(() => bob.get('alice')?.metas[0]?.['mood'] === 'ok');
    expect(bob.statusOf('alice').status).toBe('dnd');
  });

  it('connect() is no activity; after disconnect() and connect() the count starts afresh', async () => {
    const clock = new ManualClock();
    const alice = await open('alice', { idleAfterMs: 60_000, idleClock: clock });
    clock.advance(60_000);
    alice.connect(); // e.g. an app retrying with a new token
    expect(alice.idle).toBe(true);
    alice.disconnect();
    expect(clock.pending).toBe(0);
    alice.connect();
    expect(alice.idle).toBe(false);
    expect(clock.pending).toBe(1);
    await waitFor(() => alice.synced, { description: 'connected again' });
    expect(alice.get('alice')?.metas.map((m) => m.status)).toEqual(['online']);
  });

  it('a reconnect while idle comes back away (the handshake carries it)', async () => {
    const clock = new ManualClock();
    const bob = await open('bob');
    const alice = await open('alice', {
      idleAfterMs: 60_000,
      idleClock: clock,
      socketOptions: {
        transports: ['websocket'],
        forceNew: true,
        reconnectionDelay: 10,
        reconnectionDelayMax: 50,
      },
    });
    clock.advance(60_000);
    await waitFor(() => bob.statusOf('alice').status === 'away', { description: 'away' });
    alice.socket.io.engine.close(); // a drop: the client reconnects on its own
    await waitFor(() => !alice.connected, { description: 'dropped' });
    await waitFor(() => alice.synced, { description: 'reconnected' });
    expect(alice.get('alice')?.metas.map((m) => m.status)).toEqual(['away']);
  });
});
