/**
 * FriendsOnline against brute force: after every step of random presence churn (local and remote
 * tracks, untracks, updates, invisible moves, remote deltas lost and healed by transfers, the
 * remote replica down, up and permdown) and random subscription changes (graph re-reads, edges
 * removed, connections closed), a user's count is the number of the friends their latest
 * subscribed connection watches, other than themselves, with a visible presence on their `user:`
 * topic; undefined when no connection of theirs is subscribed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Presence, PresenceState, type ReplicaRef } from '../../src/core/index.js';
import { FriendsOnline } from '../../src/counts/friends-online.js';

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const HANDLES = [0, 1, 2, 3];
const local: ReplicaRef = { name: 'local', vsn: 1 };
const remote: ReplicaRef = { name: 'remote', vsn: 1 };

type Op =
  | { kind: 'track'; onRemote: boolean; user: number; conn: number; invisible: boolean }
  | { kind: 'untrack'; onRemote: boolean; user: number; conn: number; invisible: boolean }
  | { kind: 'update'; onRemote: boolean; user: number; conn: number; value: number }
  | { kind: 'deliver'; lose: boolean }
  | { kind: 'transfer' }
  | { kind: 'down' | 'up' | 'permdown' }
  | { kind: 'watch'; handle: number; owner: number; friends: number[] }
  | { kind: 'unwatchSome'; handle: number; friends: number[] }
  | { kind: 'unwatch'; handle: number };

const user = fc.nat({ max: USERS.length - 1 });
const conn = fc.nat({ max: 2 });
const handle = fc.nat({ max: HANDLES.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('track' as const),
      onRemote: fc.boolean(),
      user,
      conn,
      invisible: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('untrack' as const),
      onRemote: fc.boolean(),
      user,
      conn,
      invisible: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      onRemote: fc.boolean(),
      user,
      conn,
      value: fc.nat({ max: 5 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('deliver' as const), lose: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transfer' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('down' as const, 'up' as const, 'permdown' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('watch' as const),
      handle,
      owner: user,
      friends: fc.uniqueArray(user, { maxLength: USERS.length }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unwatchSome' as const),
      handle,
      friends: fc.uniqueArray(user, { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unwatch' as const), handle }) },
);

/** A subscribed connection as its session holds it: its owner and the friends it watches. */
interface Session {
  readonly owner: string;
  friends: string[];
  watched(): Iterable<string>;
}

/** The local replica, a remote one and the FriendsOnline of the local node. */
class Harness {
  readonly a = new PresenceState(local, { countedTopicPrefixes: ['user:'] });
  readonly b = new PresenceState(remote, { countedTopicPrefixes: ['user:'] });
  readonly counter = new FriendsOnline((friend) => this.a.count(`user:${friend}`) > 0);
  /** Open sessions by handle, in the order they first subscribed. */
  readonly sessions = new Map<number, Session>();
  private transfers = 0;

  constructor() {
    this.a.replicaUp(remote);
    this.b.replicaUp(local);
  }

  run(op: Op): void {
    switch (op.kind) {
      case 'track':
      case 'untrack': {
        const state = op.onRemote ? this.b : this.a;
        const id = USERS[op.user]!;
        const topic = `${op.invisible ? 'self' : 'user'}:${id}`;
        if (op.kind === 'untrack') state.untrack(topic, id, `c${op.conn}`);
        else state.track(topic, id, `c${op.conn}`, { v: 0 });
        return;
      }
      case 'update': {
        const state = op.onRemote ? this.b : this.a;
        const id = USERS[op.user]!;
        state.update(`user:${id}`, id, `c${op.conn}`, { v: op.value });
        return;
      }
      case 'deliver': {
        const window = this.b.takeDelta();
        if (window && !op.lose) this.a.mergeDelta(window);
        return;
      }
      case 'transfer':
        for (const part of this.b.extract(local, this.a.clock(), `t${++this.transfers}`)) {
          this.a.mergeTransfer(part);
        }
        return;
      case 'down':
        this.a.replicaDown(remote);
        return;
      case 'up':
        this.a.replicaUp(remote);
        return;
      case 'permdown':
        this.a.replicaPermdown(remote);
        return;
      case 'watch': {
        const friends = op.friends.map((i) => USERS[i]!);
        const open = this.sessions.get(op.handle);
        // A later subscription step of an open connection changes what it watches, not whose it is.
        if (open !== undefined) open.friends = friends;
        else {
          const session: Session = {
            owner: USERS[op.owner]!,
            friends,
            watched() {
              return this.friends;
            },
          };
          this.sessions.set(op.handle, session);
          this.counter.watch(session);
        }
        return;
      }
      case 'unwatchSome': {
        const session = this.sessions.get(op.handle);
        const gone = new Set(op.friends.map((i) => USERS[i]!));
        if (session !== undefined) session.friends = session.friends.filter((f) => !gone.has(f));
        return;
      }
      case 'unwatch': {
        const session = this.sessions.get(op.handle);
        if (session !== undefined) this.counter.unwatch(session);
        this.sessions.delete(op.handle);
        return;
      }
    }
  }

  /** Users with a visible `user:` presence on the local replica, from its stored entries. */
  onlineByBruteForce(): Set<string> {
    const visible: Presence[] = [];
    for (const ref of this.a.replicas())
      if (this.a.isUp(ref)) visible.push(...this.a.entriesOf(ref));
    return new Set(visible.filter((p) => p.topic.startsWith('user:')).map((p) => p.key));
  }

  check(): void {
    const online = this.onlineByBruteForce();
    for (const owner of USERS) {
      const mine = [...this.sessions.values()].filter((s) => s.owner === owner);
      const latest = mine[mine.length - 1];
      if (latest === undefined) {
        expect(this.counter.of(owner)).toBeUndefined();
        continue;
      }
      const expected = latest.friends.filter((f) => f !== owner && online.has(f)).length;
      expect(this.counter.of(owner)).toBe(expected);
    }
  }
}

describe('friends online, counted from what the latest subscribed connection watches', () => {
  it('equals a brute-force count after every step of presence churn and graph changes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 150 }), (ops) => {
        const harness = new Harness();
        for (const op of ops) {
          harness.run(op);
          harness.check();
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never counts the owner, and a friend only while on user: (not self:)', () => {
    const harness = new Harness();
    harness.run({ kind: 'watch', handle: 0, owner: 0, friends: [0, 1] });
    harness.run({ kind: 'track', onRemote: false, user: 0, conn: 0, invisible: false });
    harness.run({ kind: 'track', onRemote: true, user: 1, conn: 0, invisible: true });
    harness.run({ kind: 'deliver', lose: false });
    expect(harness.counter.of('u0')).toBe(0);
    harness.run({ kind: 'track', onRemote: true, user: 1, conn: 1, invisible: false });
    harness.run({ kind: 'deliver', lose: false });
    expect(harness.counter.of('u0')).toBe(1);
    harness.run({ kind: 'down' });
    expect(harness.counter.of('u0')).toBe(0);
    harness.run({ kind: 'up' });
    expect(harness.counter.of('u0')).toBe(1);
    harness.run({ kind: 'unwatchSome', handle: 0, friends: [1] });
    expect(harness.counter.of('u0')).toBe(0);
  });
});
