/**
 * The SDK reconnects with full jitter (src/client/reconnect-schedule.ts), against a real
 * socket.io server: the n-th try in a row waits a uniformly random moment in
 * [0, min(cap, base × 2^(n-1))), a refusal's `retryAfterMs` is a floor under it, the window
 * stops growing at the cap, and a connect starts again from the first window. The random source
 * and the timers are injected, so each delay is checked exactly against the random numbers the
 * client drew, with no wait on real time.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Server as SocketIoServer } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import {
  backoffFromOptions,
  backoffWindowMs,
  DEFAULT_RECONNECT_BACKOFF,
  MAX_RETRY_HINT_MS,
  type ReconnectBackoff,
  ReconnectSchedule,
  type ReconnectTimers,
  reconnectDelayMs,
} from '../../src/client/reconnect-schedule.js';
import { waitFor } from '../support/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Timers that fire only when the test says so; records the delay of each. */
class ManualTimers implements ReconnectTimers {
  readonly #pending = new Map<number, { callback: () => void; ms: number }>();
  #next = 0;
  readonly delays: number[] = [];

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = ++this.#next;
    this.#pending.set(handle, { callback, ms });
    this.delays.push(ms);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Waits for the `count`-th timer to be set; returns its delay. */
  async nth(count: number): Promise<number> {
    await waitFor(() => this.delays.length >= count && this.#pending.size === 1, {
      description: `reconnect timer ${count} set`,
    });
    return this.delays[count - 1]!;
  }

  /** Fires the pending timer now. */
  fire(): void {
    const [handle, timer] = [...this.#pending][0]!;
    this.#pending.delete(handle);
    timer.callback();
  }
}

/** A seeded random source (mulberry32) that records what it hands out. */
function recordingRandom(seed: number): { random: () => number; drawn: number[] } {
  let a = seed >>> 0;
  const drawn: number[] = [];
  return {
    drawn,
    random: () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const r = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
      drawn.push(r);
      return r;
    },
  };
}

interface Refusal {
  readonly message: string;
  readonly retryAfterMs?: number;
}

/**
 * A socket.io server with the `/presence` namespace: it refuses each handshake with the next
 * refusal in `refusals` (as graph-presence's admission does), accepts once they are used up.
 */
async function startServer(refusals: Refusal[] = []) {
  const http = createServer();
  const io = new SocketIoServer(http);
  let handshakes = 0;
  io.of('/presence').use((_socket, next) => {
    handshakes++;
    const refusal = refusals.shift();
    if (refusal === undefined) return next();
    const error = new Error(refusal.message) as Error & { data?: unknown };
    if (refusal.retryAfterMs !== undefined) error.data = { retryAfterMs: refusal.retryAfterMs };
    next(error);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => io.close(() => resolve())));
  return {
    io,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    get handshakes() {
      return handshakes;
    },
  };
}

function client(
  url: string,
  timers: ManualTimers,
  random: () => number,
  backoff?: ReconnectBackoff,
): PresenceClient {
  const presence = createPresenceClient(url, {
    token: 'unused-by-this-server',
    idleAfterMs: 0,
    socketOptions: { forceNew: true },
    reconnectTimers: timers,
    reconnectRandom: random,
    ...(backoff ? { reconnectBackoff: backoff } : {}),
  });
  presence.onError(() => {});
  cleanups.push(() => presence.disconnect());
  return presence;
}

describe('full-jitter delays (pure)', () => {
  it('stay within [hint, hint + min(cap, base × 2^(n-1))) for any random number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 2 * MAX_RETRY_HINT_MS }), { nil: undefined }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (attempt, r, hint, baseMs, extra) => {
          const backoff = { baseMs, capMs: baseMs + extra };
          const delay = reconnectDelayMs(attempt, hint, backoff, () => r);
          const floor = Math.min(hint ?? 0, MAX_RETRY_HINT_MS);
          const window = Math.min(backoff.capMs, baseMs * 2 ** (attempt - 1));
          expect(delay).toBeGreaterThanOrEqual(floor);
          expect(delay).toBeLessThan(floor + Math.max(window, 1));
          expect(delay - floor).toBe(Math.floor(r * window));
          expect(window).toBeLessThanOrEqual(backoff.capMs);
        },
      ),
    );
  });

  it('reads an unusable hint as none and a huge one as the maximum', () => {
    const zero = () => 0;
    for (const hint of [Number.NaN, -5, '1000', null, {}, Number.POSITIVE_INFINITY]) {
      expect(reconnectDelayMs(1, hint, DEFAULT_RECONNECT_BACKOFF, zero)).toBe(0);
    }
    expect(reconnectDelayMs(1, 1e12, DEFAULT_RECONNECT_BACKOFF, zero)).toBe(MAX_RETRY_HINT_MS);
  });
});

describe('one schedule for every reason to reconnect', () => {
  it('reconnects within a window at a random moment, replacing a pending try', () => {
    const timers = new ManualTimers();
    let tries = 0;
    const schedule = new ReconnectSchedule(
      () => tries++,
      DEFAULT_RECONNECT_BACKOFF,
      () => 0.25,
      timers,
    );
    expect(schedule.failed()).toBe(250);
    expect(schedule.within(10_000)).toBe(2_500);
    // The earlier try was dropped: one timer, one try.
    expect(timers.pending).toBe(1);
    timers.fire();
    expect(tries).toBe(1);
    expect(schedule.pending).toBe(false);
    // A try that fails after it backs off from where the tries in a row are.
    expect(schedule.failed()).toBe(Math.floor(0.25 * 2_000));
    schedule.reset();
    expect(schedule.failed()).toBe(250);
    schedule.cancel();
    expect(timers.pending).toBe(0);
  });
});

describe('the backoff an app asks for', () => {
  it('is reconnectBackoff, else socket.io’s reconnection delays, else 1 s doubling to 30 s', () => {
    expect(backoffFromOptions(undefined, undefined)).toEqual({ baseMs: 1_000, capMs: 30_000 });
    expect(
      backoffFromOptions(undefined, { reconnectionDelay: 10, reconnectionDelayMax: 50 }),
    ).toEqual({ baseMs: 10, capMs: 50 });
    expect(backoffFromOptions({ capMs: 60_000 }, { reconnectionDelay: 10 })).toEqual({
      baseMs: 10,
      capMs: 60_000,
    });
    expect(backoffFromOptions(undefined, { reconnectionDelay: 45_000 })).toEqual({
      baseMs: 45_000,
      capMs: 45_000,
    });
  });
});

describe('the SDK reconnecting against a real socket.io server', () => {
  it('draws each try in a row from the doubling window, after the server hint (fast-check over seeds)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.array(
          fc.record({
            message: fc.constantFrom('overloaded', 'too_many_handshakes'),
            retryAfterMs: fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (seed, refusals) => {
          const server = await startServer([...refusals]);
          const timers = new ManualTimers();
          const { random, drawn } = recordingRandom(seed);
          const presence = client(server.url, timers, random);
          for (const [i, refusal] of refusals.entries()) {
            const attempt = i + 1;
            const delay = await timers.nth(attempt);
            const hint = refusal.retryAfterMs ?? 0;
            const window = backoffWindowMs(attempt, DEFAULT_RECONNECT_BACKOFF);
            expect(drawn).toHaveLength(attempt);
            expect(delay).toBe(hint + Math.floor(drawn[attempt - 1]! * window));
            expect(delay).toBeGreaterThanOrEqual(hint);
            expect(delay).toBeLessThan(hint + window);
            // Nothing is tried before the timer fires.
            expect(server.handshakes).toBe(attempt);
            timers.fire();
          }
          await waitFor(() => presence.connected, { description: 'connected after the refusals' });
          expect(server.handshakes).toBe(refusals.length + 1);
          // Connected: a lost connection starts again from the first second.
          const [socket] = server.io.of('/presence').sockets.values();
          socket!.conn.close();
          const first = await timers.nth(refusals.length + 1);
          expect(first).toBe(Math.floor(drawn.at(-1)! * DEFAULT_RECONNECT_BACKOFF.baseMs));
          expect(first).toBeLessThan(1_000);
          timers.fire();
          await waitFor(() => presence.connected, { description: 'reconnected' });
          presence.disconnect();
        },
      ),
      { numRuns: 15 },
    );
  });

  it('stops growing the window at the cap', async () => {
    const refusals = Array.from({ length: 10 }, () => ({ message: 'overloaded' }));
    const server = await startServer([...refusals]);
    const timers = new ManualTimers();
    const almostOne = 1 - 2 ** -20;
    const backoff = { baseMs: 1_000, capMs: 30_000 };
    const presence = client(server.url, timers, () => almostOne, backoff);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= refusals.length; attempt++) {
      delays.push(await timers.nth(attempt));
      timers.fire();
    }
    await waitFor(() => presence.connected, { description: 'connected after the refusals' });
    // 1 s, 2 s, 4 s, 8 s, 16 s windows, then 30 s from the 6th try on.
    expect(delays.slice(0, 5)).toEqual([999, 1_999, 3_999, 7_999, 15_999]);
    for (const delay of delays.slice(5)) expect(delay).toBe(29_999);
  });

  it('reconnects on its own schedule after a dropped transport, not after a server disconnect', async () => {
    const server = await startServer();
    const timers = new ManualTimers();
    const presence = client(server.url, timers, () => 0.5);
    await waitFor(() => presence.connected, { description: 'connected' });

    const [first] = server.io.of('/presence').sockets.values();
    first!.conn.close();
    expect(await timers.nth(1)).toBe(500);
    // socket.io's own reconnection is off: nothing happens until the schedule says so.
    expect(presence.connected).toBe(false);
    expect(server.handshakes).toBe(1);
    timers.fire();
    await waitFor(() => presence.connected, { description: 'reconnected' });
    expect(server.handshakes).toBe(2);

    // The server closed this connection on purpose: no reconnect (docs/usage.md).
    const [second] = server.io.of('/presence').sockets.values();
    second!.disconnect(true);
    await waitFor(() => !presence.connected, { description: 'disconnected by the server' });
    expect(timers.pending).toBe(0);
  });

  it('keeps trying with a doubling window while the server is down', async () => {
    const server = await startServer();
    const timers = new ManualTimers();
    const presence = client(server.url, timers, () => 0.5);
    await waitFor(() => presence.connected, { description: 'connected' });
    await new Promise<void>((resolve) => server.io.close(() => resolve()));
    expect(await timers.nth(1)).toBe(500);
    timers.fire();
    expect(await timers.nth(2)).toBe(1_000);
    timers.fire();
    expect(await timers.nth(3)).toBe(2_000);
    expect(presence.connected).toBe(false);
  });

  it('refuses a backoff whose cap is below its base', () => {
    expect(() =>
      createPresenceClient('http://127.0.0.1:1', {
        token: 't',
        reconnectBackoff: { baseMs: 5_000, capMs: 1_000 },
      }),
    ).toThrow(/capMs/);
  });
});

describe('the drain instruction (presence_drain) and the draining refusal', () => {
  it('each client moves at its own random moment within the window, spread across it', async () => {
    const server = await startServer();
    const timers = new ManualTimers();
    const withinMs = 20_000;
    // Evenly spaced random numbers: the moments must follow them, whatever the order of arrival.
    const draws = [0.05, 0.3, 0.55, 0.8, 0.95];
    const clients = draws.map((r) => client(server.url, timers, () => r));
    await waitFor(() => clients.every((c) => c.connected), { description: 'all connected' });
    const before = server.handshakes;
    server.io.of('/presence').emit('presence_drain', { withinMs });
    await waitFor(() => timers.delays.length === draws.length, {
      description: 'each client scheduled its move',
    });
    expect([...timers.delays].sort((a, b) => a - b)).toEqual(
      draws.map((r) => Math.floor(r * withinMs)),
    );
    // Nobody moved yet: each waits for its moment.
    expect(clients.every((c) => c.connected)).toBe(true);
    expect(server.handshakes).toBe(before);
    // At its moment a client drops its connection and connects again (through the balancer).
    for (let i = 0; i < draws.length; i++) timers.fire();
    await waitFor(
      () => server.handshakes === before + draws.length && clients.every((c) => c.connected),
      {
        description: 'every client reconnected once',
      },
    );
  });

  it('ignores a malformed instruction', async () => {
    const server = await startServer();
    const timers = new ManualTimers();
    const presence = client(server.url, timers, () => 0.5);
    const errors: string[] = [];
    presence.onError((error) => errors.push(error.code));
    await waitFor(() => presence.connected, { description: 'connected' });
    for (const bad of [{ withinMs: -1 }, { withinMs: 'soon' }, null, {}]) {
      server.io.of('/presence').emit('presence_drain', bad);
    }
    await waitFor(() => errors.length === 4, { description: 'each reported as bad_payload' });
    expect(new Set(errors)).toEqual(new Set(['bad_payload']));
    expect(timers.pending).toBe(0);
  });

  it('retries a `draining` refusal after its hint, as `overloaded`', async () => {
    const server = await startServer([{ message: 'draining', retryAfterMs: 700 }]);
    const timers = new ManualTimers();
    const presence = client(server.url, timers, () => 0.5);
    expect(await timers.nth(1)).toBe(700 + 500);
    timers.fire();
    await waitFor(() => presence.connected, { description: 'connected on the retry' });
    expect(server.handshakes).toBe(2);
  });
});
