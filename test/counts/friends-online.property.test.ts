/**
 * FriendsOnline against brute force: after every step of random presence churn (local and remote
 * tracks, untracks, updates, invisible moves, remote deltas lost and healed by transfers, the
 * remote replica down, up and permdown) and random subscription changes (graph re-reads, edges
 * removed, connections closed), every watch's count equals the number of its friends, other
 * than its owner, with a visible presence on their `user:` topic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routedChange } from '../../src/change-router/routed-change.js';
import {
  type Presence,
  type PresenceChange,
  PresenceState,
  type ReplicaRef,
} from '../../src/core/index.js';
import { FriendsOnline } from '../../src/counts/friends-online.js';

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const HANDLES = [0, 1, 2, 3].map((i) => ({ name: `session${i}` }));
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

/** The local replica, a remote one and the FriendsOnline of the local node. */
class Harness {
  readonly a = new PresenceState(local, { countedTopicPrefixes: ['user:'] });
  readonly b = new PresenceState(remote, { countedTopicPrefixes: ['user:'] });
  readonly counter = new FriendsOnline((friend) => this.a.count(`user:${friend}`) > 0, 'user:');
  /** Watch owner by handle, as the sessions would hold it. */
  readonly owners = new Map<object, string>();
  private transfers = 0;

  constructor() {
    this.report(this.a.replicaUp(remote));
    this.b.replicaUp(local);
  }

  /** Every local change reaches the counter, as the runtime's `diff` event does. */
  report(change: PresenceChange): void {
    this.counter.applyChange(routedChange(change));
  }

  run(op: Op): void {
    switch (op.kind) {
      case 'track':
      case 'untrack': {
        const state = op.onRemote ? this.b : this.a;
        const id = USERS[op.user]!;
        const topic = `${op.invisible ? 'self' : 'user'}:${id}`;
        let change: PresenceChange | undefined;
        if (op.kind === 'untrack') change = state.untrack(topic, id, `c${op.conn}`);
        else {
          const result = state.track(topic, id, `c${op.conn}`, { v: 0 });
          if (result.ok) change = result.change;
        }
        if (!op.onRemote && change) this.report(change);
        return;
      }
      case 'update': {
        const state = op.onRemote ? this.b : this.a;
        const id = USERS[op.user]!;
        const result = state.update(`user:${id}`, id, `c${op.conn}`, { v: op.value });
        if (!op.onRemote && result.ok) this.report(result.change);
        return;
      }
      case 'deliver': {
        const window = this.b.takeDelta();
        if (window && !op.lose) this.report(this.a.mergeDelta(window).change);
        return;
      }
      case 'transfer':
        for (const part of this.b.extract(local, this.a.clock(), `t${++this.transfers}`)) {
          this.report(this.a.mergeTransfer(part).change);
        }
        return;
      case 'down':
        this.report(this.a.replicaDown(remote));
        return;
      case 'up':
        this.report(this.a.replicaUp(remote));
        return;
      case 'permdown':
        this.report(this.a.replicaPermdown(remote));
        return;
      case 'watch': {
        const h = HANDLES[op.handle]!;
        // A connection's owner never changes: a closed one's handle may be reused by anyone.
        const owner = this.owners.get(h) ?? USERS[op.owner]!;
        this.owners.set(h, owner);
        this.counter.watch(
          h,
          owner,
          op.friends.map((i) => USERS[i]!),
        );
        return;
      }
      case 'unwatchSome':
        this.counter.unwatchSome(
          HANDLES[op.handle]!,
          op.friends.map((i) => USERS[i]!),
        );
        return;
      case 'unwatch':
        this.counter.unwatch(HANDLES[op.handle]!);
        this.owners.delete(HANDLES[op.handle]!);
        return;
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
    for (const watch of this.counter.all()) {
      const expected = [...watch.friends].filter((f) => f !== watch.owner && online.has(f)).length;
      expect(watch.online).toBe(expected);
    }
    for (const owner of USERS) {
      const mine = this.counter.all().filter((w) => w.owner === owner);
      if (mine.length === 0) expect(this.counter.of(owner)).toBeUndefined();
      else expect(mine.map((w) => w.online)).toContain(this.counter.of(owner));
    }
  }
}

describe('friends online, maintained per subscribed connection', () => {
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
