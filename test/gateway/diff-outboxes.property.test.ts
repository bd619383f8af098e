/**
 * The outboxes (src/gateway/outbound/diff-outboxes.ts) on a manual clock whose time also moves
 * when work is done, with sockets that record what is written to them:
 * - whatever the window, a watching socket's view (synced by phoenix's own Presence) equals the
 *   tracker's, and a socket that stops watching a user while a change of theirs waits in its
 *   outbox never receives it;
 * - in a storm (writes cost time, so the node falls behind) the window stretches past 500 ms,
 *   never past its cap, and each socket gets at most one write per window;
 * - while calm, a change is written at the end of the turn that made it, without any timer.
 */
import fc from 'fast-check';
import { Presence, type PresenceState } from 'phoenix';
import { describe, expect, it } from 'vitest';
import type { WireMeta } from '../../src/domain/client-protocol.js';
import type { PresenceSocket } from '../../src/domain/presence-socket.js';
import { DiffOutboxes } from '../../src/gateway/outbound/diff-outboxes.js';
import { KeyChange } from '../../src/gateway/outbound/key-change.js';
import type { Clock, Timers } from '../../src/ports/clock.js';

type PhoenixDiff = Parameters<typeof Presence.syncDiff>[1];

/** A manual clock whose time also moves when work is done (`spend`), without running timers. */
class WorkClock implements Clock, Timers {
  private time = 0;
  private seq = 0;
  private timers: { at: number; seq: number; run: () => void }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, run };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** Time spent working, and what it was at the last look. */
  private worked = 0;
  private looked = { at: 0, worked: 0 };
  /** The share of the time since the last call spent working: the event loop's utilisation. */
  readonly utilization = (): number => {
    const { at, worked } = this.looked;
    this.looked = { at: this.time, worked: this.worked };
    return this.time === at ? 0 : (this.worked - worked) / (this.time - at);
  };

  /** Time passes doing work: no timer runs meanwhile (the event loop is held). */
  spend(ms: number): void {
    this.time += ms;
    this.worked += ms;
  }

  /** Time passes idle: timers due by then run, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.run();
    }
    this.time = until;
  }
}

/** Lets the turn end: the outboxes' end-of-turn drain (setImmediate) runs. */
const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Write {
  readonly at: number;
  readonly windowMs: number;
  readonly diff: PhoenixDiff;
}

/** A socket that records what is written to it, and when. */
function fakeSocket(id: string, clock: WorkClock, onWrite: (packet: string) => Write['diff']) {
  const writes: Write[] = [];
  let outboxes: DiffOutboxes | undefined;
  const socket = {
    id,
    conn: {
      transport: { writable: true },
      write: (packet: string) => {
        writes.push({
          at: clock.now(),
          windowMs: outboxes?.stats().windowMs ?? 0,
          diff: onWrite(packet),
        });
      },
    },
    emit: () => {
      throw new Error('raw packets expected');
    },
  } as unknown as PresenceSocket;
  return { socket, writes, attach: (o: DiffOutboxes) => (outboxes = o) };
}

function parse(packet: string): PhoenixDiff {
  const [event, diff] = JSON.parse(packet.slice(packet.indexOf('['))) as [string, PhoenixDiff];
  expect(event).toBe('presence_diff');
  return diff;
}

const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as PresenceState;
const refsOf = (state: PresenceState, key: string) =>
  (state[key]?.metas ?? []).map((m) => String(m['phx_ref'])).sort();

/** The window's cap in these tests (`maxBatchDelayMs`). */
const CAP_MS = 1_500;
const KEYS = ['u', 'v', 'w'];
const WATCHERS = ['s0', 's1', 's2'];

const step = fc.oneof(
  fc.record({
    kind: fc.constantFrom('join', 'update', 'leave'),
    key: fc.nat({ max: KEYS.length - 1 }),
    pick: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('unwatch' as const),
    watcher: fc.nat({ max: WATCHERS.length - 1 }),
    key: fc.nat({ max: KEYS.length - 1 }),
  }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 1_500 }) }),
  fc.record({ kind: fc.constant('turn' as const) }),
  // The event loop held by other work: timers fire late, the window stretches, then shrinks.
  fc.record({ kind: fc.constant('work' as const), ms: fc.integer({ min: 0, max: 400 }) }),
);

describe('per-socket outboxes', () => {
  it('whatever the window, a watching socket syncs to the tracker; an unwatched user’s waiting change never reaches it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 10, 200, 1_000),
        fc.array(step, { minLength: 1, maxLength: 60 }),
        async (windowMs, steps) => {
          const clock = new WorkClock();
          const outboxes = new DiffOutboxes(
            '/presence',
            windowMs,
            CAP_MS,
            true,
            clock,
            clock.utilization,
          );
          const live = new Map<string, WireMeta[]>(KEYS.map((k) => [k, []]));
          let next = 0;
          const sockets = WATCHERS.map((id) => {
            const fake = fakeSocket(id, clock, parse);
            fake.attach(outboxes);
            return {
              ...fake,
              view: {} as PresenceState,
              applied: 0,
              watching: new Set(KEYS),
              /** Keys unwatched since: no write may name them. */
              unwatched: new Set<string>(),
            };
          });
          const sync = () => {
            for (const s of sockets) {
              for (const w of s.writes.slice(s.applied)) {
                const { joins, leaves } = w.diff as unknown as {
                  joins: PresenceState;
                  leaves: PresenceState;
                };
                for (const key of [...Object.keys(joins), ...Object.keys(leaves)]) {
                  expect(s.unwatched.has(key)).toBe(false);
                }
                s.view = Presence.syncDiff(s.view, plain(w.diff));
              }
              s.applied = s.writes.length;
            }
          };
          try {
            for (const st of steps) {
              if (st.kind === 'wait') {
                clock.advance(st.ms);
                await endOfTurn();
                sync();
                continue;
              }
              if (st.kind === 'work') {
                clock.spend(st.ms);
                clock.advance(0);
                await endOfTurn();
                sync();
                continue;
              }
              if (st.kind === 'turn') {
                await endOfTurn();
                sync();
                continue;
              }
              const key = KEYS[st.key]!;
              if (st.kind === 'unwatch') {
                const s = sockets[st.watcher]!;
                if (!s.watching.has(key)) continue;
                // What subscriptions.ts does: withdraw, then the leaves of what the socket holds.
                sync();
                const owed = outboxes.withdraw(s.socket.id, key);
                const held = live
                  .get(key)!
                  .filter((m) => owed === undefined || !owed.joined.has(m.phx_ref))
                  .concat(owed?.left ?? []);
                if (held.length > 0) {
                  s.view = Presence.syncDiff(
                    s.view,
                    plain({ joins: {}, leaves: { [key]: { metas: held } } }),
                  );
                }
                s.watching.delete(key);
                s.unwatched.add(key);
                expect(refsOf(s.view, key)).toEqual([]);
                continue;
              }
              const metas = live.get(key)!;
              let change: KeyChange | undefined;
              if (st.kind === 'join') {
                const meta: WireMeta = { phx_ref: `r${next++}`, status: 'a', online_at: next };
                metas.push(meta);
                change = new KeyChange(key, [meta], []);
              } else {
                const old = metas[st.pick % Math.max(1, metas.length)];
                if (old === undefined) continue;
                if (st.kind === 'update') {
                  const meta: WireMeta = {
                    phx_ref: `r${next++}`,
                    phx_ref_prev: old.phx_ref,
                    status: `s${next}`,
                    online_at: old.online_at,
                  };
                  metas.splice(metas.indexOf(old), 1, meta);
                  change = new KeyChange(key, [meta], [old]);
                } else {
                  metas.splice(metas.indexOf(old), 1);
                  change = new KeyChange(key, [], [old]);
                }
              }
              // The fan-out: the change is owed to every socket watching its topic.
              for (const s of sockets) if (s.watching.has(key)) outboxes.owe(s.socket, change);
            }
            clock.advance(5_000);
            await endOfTurn();
            sync();
            for (const s of sockets) {
              for (const key of KEYS) {
                const expected = s.watching.has(key) ? live.get(key)!.map((m) => m.phx_ref) : [];
                expect(refsOf(s.view, key)).toEqual(expected.sort());
              }
            }
          } finally {
            outboxes.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a user’s own socket, watching both `user:` and `self:`, syncs to both whatever the window (moves between them folded in order)', async () => {
    const ownStep = fc.oneof(
      fc.record({
        kind: fc.constantFrom('join', 'update', 'leave', 'move'),
        self: fc.boolean(),
        pick: fc.nat(),
      }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 1_500 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 200, 1_000),
        fc.array(ownStep, { minLength: 1, maxLength: 30 }),
        async (windowMs, steps) => {
          const clock = new WorkClock();
          const outboxes = new DiffOutboxes(
            '/presence',
            windowMs,
            CAP_MS,
            true,
            clock,
            clock.utilization,
          );
          const own = fakeSocket('own', clock, parse);
          const live = { user: [] as WireMeta[], self: [] as WireMeta[] };
          let view: PresenceState = {};
          let applied = 0;
          let next = 0;
          const sync = () => {
            for (const w of own.writes.slice(applied))
              view = Presence.syncDiff(view, plain(w.diff));
            applied = own.writes.length;
          };
          // Both topics' changes share the key: the outbox folds them as one.
          const emit = (_side: 'user' | 'self', joins: WireMeta[], leaves: WireMeta[]) => {
            outboxes.owe(own.socket, new KeyChange('u', joins, leaves));
          };
          const fresh = (prev?: string): WireMeta => ({
            phx_ref: `r${next++}`,
            status: `s${next}`,
            online_at: next,
            ...(prev === undefined ? {} : { phx_ref_prev: prev }),
          });
          try {
            for (const st of steps) {
              if (st.kind === 'wait') {
                clock.advance(st.ms);
                await endOfTurn();
                sync();
                continue;
              }
              const side = st.self ? 'self' : 'user';
              const metas = live[side];
              if (st.kind === 'join') {
                const meta = fresh();
                metas.push(meta);
                emit(side, [meta], []);
                continue;
              }
              const old = metas[st.pick % Math.max(1, metas.length)];
              if (old === undefined) continue;
              metas.splice(metas.indexOf(old), 1);
              if (st.kind === 'leave') emit(side, [], [old]);
              else if (st.kind === 'update') {
                const meta = fresh(old.phx_ref);
                metas.push(meta);
                emit(side, [meta], [old]);
              } else {
                // A move (going invisible or back): one tracker change, a part on each topic.
                const other = side === 'user' ? 'self' : 'user';
                const meta = fresh(old.phx_ref);
                live[other].push(meta);
                emit(side, [], [old]);
                emit(other, [meta], []);
              }
            }
            clock.advance(5_000);
            await endOfTurn();
            sync();
            const expected = [...live.user, ...live.self].map((m) => m.phx_ref).sort();
            expect(refsOf(view, 'u')).toEqual(expected);
          } finally {
            outboxes.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('while calm, a change goes out at the end of the turn that made it: no timer, no window', async () => {
    const clock = new WorkClock();
    const outboxes = new DiffOutboxes('/presence', 0, CAP_MS, true, clock, clock.utilization);
    const fake = fakeSocket('s', clock, parse);
    const meta: WireMeta = { phx_ref: 'r1', status: 'a', online_at: 1 };
    outboxes.owe(fake.socket, new KeyChange('u', [meta], []));
    expect(fake.writes).toHaveLength(0);
    await endOfTurn();
    expect(fake.writes).toHaveLength(1);
    expect(fake.writes[0]!.at).toBe(0);
    outboxes.close();
  });

  it('in a storm the window stretches past 500 ms, and each socket gets at most one write per window', async () => {
    const clock = new WorkClock();
    const outboxes = new DiffOutboxes('/presence', 0, CAP_MS, true, clock, clock.utilization);
    const friends = Array.from({ length: 200 }, (_, i) => `f${i}`);
    // Every write costs 4 ms of the event loop: 100 watchers of every friend cannot keep up with
    // a reconnect (a leave and a join) every 2 ms at one write per change.
    const watchers = Array.from({ length: 100 }, (_, i) =>
      fakeSocket(`w${i}`, clock, (packet) => {
        clock.spend(4);
        return parse(packet);
      }),
    );
    for (const w of watchers) w.attach(outboxes);
    const metas = new Map<string, WireMeta>();
    let ref = 0;
    const change = (friend: string, joins: WireMeta[], leaves: WireMeta[]) => {
      const change = new KeyChange(friend, joins, leaves);
      for (const w of watchers) outboxes.owe(w.socket, change);
    };
    for (const f of friends) {
      const meta: WireMeta = { phx_ref: `r${ref++}`, status: 'a', online_at: 0 };
      metas.set(f, meta);
    }
    let widest = 0;
    let changes = 0;
    for (let round = 0; round < 3_000; round++) {
      const f = friends[round % friends.length]!;
      const old = metas.get(f)!;
      const meta: WireMeta = { phx_ref: `r${ref++}`, status: 'a', online_at: round };
      metas.set(f, meta);
      change(f, [], [old]);
      change(f, [meta], []);
      changes += 2;
      await endOfTurn();
      clock.advance(2);
      widest = Math.max(widest, outboxes.stats().windowMs);
    }
    expect(widest).toBeGreaterThan(500);
    expect(widest).toBeLessThanOrEqual(CAP_MS);
    let writes = 0;
    for (const w of watchers) {
      writes += w.writes.length;
      for (let i = 1; i < w.writes.length; i++) {
        const gap = w.writes[i]!.at - w.writes[i - 1]!.at;
        expect(gap).toBeGreaterThanOrEqual(w.writes[i]!.windowMs);
      }
    }
    // Far fewer writes than deliveries: the storm costs writes per socket per window.
    expect(writes).toBeLessThan((changes * watchers.length) / 20);
    // The storm over, the window shrinks back to 0: calm changes go out in their turn again.
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      await endOfTurn();
    }
    expect(outboxes.stats().windowMs).toBe(0);
    outboxes.close();
  });
});
