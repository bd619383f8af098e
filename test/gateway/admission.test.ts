/**
 * Admission control over real sockets: a bounded number of connections admitted at once, a
 * bounded FIFO queue, `overloaded` (with a retry hint) beyond it, and the SDK retrying it. The
 * graph lookup is held on a gate so connections stay "being admitted" until a test lets them go;
 * nothing here asserts on timing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import type { UserId } from '../../src/domain/user-id.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer, tokenFor } from './support/test-server.js';

/** Holds every `visibleTo` until `open()`; records who asked, in order. */
class Gate {
  readonly asked: UserId[] = [];
  private isOpen = false;
  private readonly waiting: (() => void)[] = [];

  wrap(graph: FriendsGraph): FriendsGraph {
    return {
      visibleTo: async (user) => {
        this.asked.push(user);
        if (!this.isOpen) await new Promise<void>((resolve) => this.waiting.push(resolve));
        return graph.visibleTo(user);
      },
      subscribe: (listener) => graph.subscribe(listener),
      close: () => graph.close(),
    };
  }

  open(): void {
    this.isOpen = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

let server: TestServer | undefined;
const closers: (() => void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.close();
  server = undefined;
});

async function start(admission: { concurrency: number; queue: number; retryAfterMs?: number }) {
  const gate = new Gate();
  server = await startTestServer({ admission, wrapGraph: (graph) => gate.wrap(graph) });
  for (const [a, b] of [
    ['u1', 'u2'],
    ['u2', 'u3'],
    ['u3', 'u4'],
  ] as const) {
    await server.graph.addEdge(a, b);
  }
  return { server, gate };
}

/** Connects without waiting: resolves with the client, or the connect_error. */
function attempt(url: string, user: string): Promise<TestClient | (Error & { data?: unknown })> {
  return connect(url, user).then(
    (client) => {
      closers.push(() => client.close());
      return client;
    },
    (error: Error) => error,
  );
}

describe('admission control', () => {
  it('admits `concurrency` at once, queues `queue` in order and refuses the next with overloaded', async () => {
    const { server, gate } = await start({ concurrency: 1, queue: 2, retryAfterMs: 2_000 });
    const stats = () => server.server.gateway.stats();
    const first = attempt(server.url, 'u1');
    await waitFor(() => gate.asked.length === 1);
    const second = attempt(server.url, 'u2');
    await waitFor(() => stats().admissionQueue === 1);
    const third = attempt(server.url, 'u3');
    await waitFor(() => stats().admissionQueue === 2);
    expect(stats()).toMatchObject({ admitting: 1, admissionQueue: 2, overloaded: 0 });

    const refused = await attempt(server.url, 'u4');
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe('overloaded');
    const hint = (refused as Error & { data?: { retryAfterMs?: unknown } }).data?.retryAfterMs;
    expect(hint).toBeGreaterThanOrEqual(1_000);
    expect(hint).toBeLessThanOrEqual(3_000);
    expect(stats().overloaded).toBe(1);
    // Only the admitted one got as far as its lookup.
    expect(gate.asked).toEqual(['u1']);

    gate.open();
    const clients = (await Promise.all([first, second, third])) as TestClient[];
    for (const client of clients) await client.ready();
    expect(gate.asked).toEqual(['u1', 'u2', 'u3']);
    await waitFor(() => stats().admitting === 0);
    expect(stats()).toMatchObject({ admissionQueue: 0, connections: 3 });
    // Nothing lost: everyone sees their friends, and the refused one gets in now.
    const u4 = await attempt(server.url, 'u4');
    await (u4 as TestClient).ready();
    await waitFor(() => clients[2]!.users().includes('u4'));
    expect(clients[1]!.users()).toEqual(['u1', 'u2', 'u3']);
  });

  it('frees the slot when an admitted connection closes before its state', async () => {
    const { server, gate } = await start({ concurrency: 1, queue: 1 });
    const first = (await attempt(server.url, 'u1')) as TestClient;
    await waitFor(() => gate.asked.length === 1);
    const second = attempt(server.url, 'u2');
    await waitFor(() => server.server.gateway.stats().admissionQueue === 1);
    first.close();
    await waitFor(() => gate.asked.length === 2);
    gate.open();
    await ((await second) as TestClient).ready();
    await waitFor(() => server.server.gateway.stats().admitting === 0);
  });

  it('skips a queued handshake whose client went away', async () => {
    const { server, gate } = await start({ concurrency: 1, queue: 2 });
    const first = attempt(server.url, 'u1');
    await waitFor(() => gate.asked.length === 1);
    const { io } = await import('socket.io-client');
    const quitter = io(`${server.url}/presence`, {
      auth: { token: await tokenFor('u2') },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await waitFor(() => server.server.gateway.stats().admissionQueue === 1);
    quitter.disconnect();
    const third = attempt(server.url, 'u3');
    await waitFor(() => server.server.gateway.stats().admissionQueue === 2);
    gate.open();
    for (const client of (await Promise.all([first, third])) as TestClient[]) await client.ready();
    expect(gate.asked).toEqual(['u1', 'u3']);
    expect(server.server.gateway.stats()).toMatchObject({ abandoned: 1, admitting: 0 });
  });

  it('the SDK retries overloaded on its own and gets in', async () => {
    const { server, gate } = await start({ concurrency: 1, queue: 0, retryAfterMs: 20 });
    await attempt(server.url, 'u1');
    await waitFor(() => gate.asked.length === 1);
    const client: PresenceClient = createPresenceClient(server.url, {
      token: await tokenFor('u2'),
      socketOptions: { transports: ['websocket'], forceNew: true },
    });
    closers.push(() => client.disconnect());
    const codes: string[] = [];
    client.onError((error) => codes.push(error.code));
    const pending = client.setStatus('busy');
    await waitFor(() => codes.length >= 2);
    expect(new Set(codes)).toEqual(new Set(['overloaded']));
    expect(client.connected).toBe(false);
    gate.open();
    await waitFor(() => client.synced);
    await pending;
    expect(client.get('u1')?.metas).toHaveLength(1);
    expect(client.get('u2')?.metas[0]?.status).toBe('busy');
  });
});
