/**
 * Phoenix's delta generation tests (phoenix_pubsub
 * `test/phoenix/tracker/delta_generation_test.exs`).
 *
 * Ours: generations are per replica (one `DeltaGenerations` per replica slot), so a "remote
 * replica's delta" never joins another replica's windows; every level ends at the newest delta, and
 * a window that would overflow its level restarts from the newest delta (or from empty when even
 * that is too big), where Phoenix took the previous level's window plus the delta.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DELTA_SIZES, DeltaGenerations, replicaKey } from '../../src/core/index.js';
import {
  broadcast,
  changeOf,
  connectAll,
  mergeParts,
  NO_CHANGE,
  newState,
  onlineList,
  sync,
  trackOk,
  windowOf,
} from '../support/core-fixtures.js';

const levels = (g: DeltaGenerations) => g.windows.map(windowOf);

describe('Phoenix delta_generation_test', () => {
  it('1. generations', () => {
    const a = newState('a');
    const g = new DeltaGenerations(a.self.ref, 0, [2, 5, 6]);
    const take = () => a.takeDelta()!;

    trackOk(a, 't', 'k1', 'c1', {});
    const w1 = take();
    g.push(w1); // the first delta fills every generation
    const one = { replica: 'a', from: 0, to: 1, adds: [1], removes: [] };
    expect(levels(g)).toEqual([one, one, one]);
    g.push(w1); // a duplicate changes nothing
    expect(levels(g)).toEqual([one, one, one]);

    trackOk(a, 't', 'k2', 'c2', {});
    g.push(take());
    const two = { replica: 'a', from: 0, to: 2, adds: [1, 2], removes: [] };
    expect(levels(g)).toEqual([two, two, two]);

    trackOk(a, 't', 'k3', 'c3', {});
    g.push(take()); // level 1 (max 2) would overflow: it restarts from the new delta
    const upTo3 = { replica: 'a', from: 0, to: 3, adds: [1, 2, 3], removes: [] };
    expect(levels(g)).toEqual([
      { replica: 'a', from: 2, to: 3, adds: [3], removes: [] },
      upTo3,
      upTo3,
    ]);

    trackOk(a, 't', 'k4', 'c4', {});
    trackOk(a, 't', 'k5', 'c5', {});
    g.push(take());
    const upTo5 = { replica: 'a', from: 0, to: 5, adds: [1, 2, 3, 4, 5], removes: [] };
    expect(levels(g)).toEqual([
      { replica: 'a', from: 3, to: 5, adds: [4, 5], removes: [] },
      upTo5,
      upTo5,
    ]);

    // A leave drops the value from the window that still holds it; its dot stays as a remove.
    a.untrack('t', 'k1', 'c1');
    g.push(take());
    const leave = { replica: 'a', from: 5, to: 6, adds: [], removes: [1] };
    expect(levels(g)).toEqual([
      leave,
      leave,
      { replica: 'a', from: 0, to: 6, adds: [2, 3, 4, 5], removes: [1] },
    ]);

    // A delta larger than every level leaves every level empty at its end.
    for (let i = 6; i <= 12; i++) trackOk(a, 't', `k${i}`, `c${i}`, {});
    g.push(take());
    const empty = { replica: 'a', from: 13, to: 13, adds: [], removes: [] };
    expect(levels(g)).toEqual([empty, empty, empty]);
    expect(g.windowFor(6)).toBeUndefined();
  });

  it('2. does not include non-contiguous deltas', () => {
    // Ours: no window ever spans the gap; the levels restart from the new delta (Phoenix left
    // them unchanged), so a receiver before the gap gets a snapshot, one after it a delta.
    const a = newState('a');
    const g = new DeltaGenerations(a.self.ref, 0, [2, 5, 6]);
    trackOk(a, 't', 'k1', 'c1', {});
    g.push(a.takeDelta()!);
    trackOk(a, 't', 'k2', 'c2', {});
    a.takeDelta(); // (1, 2] never pushed
    trackOk(a, 't', 'k3', 'c3', {});
    g.push(a.takeDelta()!);
    const after = { replica: 'a', from: 2, to: 3, adds: [3], removes: [] };
    expect(levels(g)).toEqual([after, after, after]);
    expect(g.windowFor(0)).toBeUndefined();
    expect(g.windowFor(1)).toBeUndefined();
    expect(windowOf(g.windowFor(2)!)).toEqual(after);
  });

  it('3. remove_down_replicas', () => {
    // Ours: a replica's generations live in its slot, which permdown deletes: its buffered
    // windows are sent to nobody, and merging what is sent reports nothing.
    const a = newState('a');
    const b = newState('b');
    const c = newState('c');
    connectAll(a, b, c);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    broadcast(a, b);
    const viaB = b.extract(c.self.ref, c.clock(), 't1');
    expect(viaB.map((p) => p.kind)).toEqual(['window']);

    b.replicaDown(a.self.ref);
    b.replicaPermdown(a.self.ref);
    const pruned = b.extract(c.self.ref, c.clock(), 't2');
    expect(pruned).toEqual([]);
    const merged = mergeParts(c, pruned);
    expect(changeOf(merged.change)).toEqual(NO_CHANGE);
    expect(onlineList(c)).toEqual([]);
    expect(c.list('lobby')).toEqual([]);
  });

  it('4. whole state is extracted if there are no deltas', () => {
    const a = newState('a', { maxDeltaSizes: [] }); // no generations at all
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'lobby', 'alice', 'ca', { n: 1 });
    trackOk(a, 'room', 'alice', 'ca', { n: 2 });
    a.takeDelta(); // lost
    const parts = a.extract(b.self.ref, b.clock(), 'x');
    expect(parts).toHaveLength(1);
    const [part] = parts;
    expect(part!.kind).toBe('snapshot');
    if (part?.kind !== 'snapshot') return;
    expect({
      replica: replicaKey(part.replica),
      upTo: part.upTo,
      chunk: part.chunk,
      chunkCount: part.chunkCount,
    }).toEqual({ replica: 'a#1', upTo: 2, chunk: 0, chunkCount: 1 });
    expect(
      part.entries.map(({ topic, key, meta, counter, prev }) => ({
        topic,
        key,
        meta,
        counter,
        prev,
      })),
    ).toEqual([
      { topic: 'lobby', key: 'alice', meta: { n: 1 }, counter: 1, prev: 0 },
      { topic: 'room', key: 'alice', meta: { n: 2 }, counter: 2, prev: 0 },
    ]);
    expect(changeOf(mergeParts(b, parts).change).joins.map((r) => r.dot)).toEqual(['a:1', 'a:2']);
  });

  it('5. delta is extracted for the first delta with dominating clocks', () => {
    const a = newState('a');
    const g = new DeltaGenerations(a.self.ref, 0, [1, 5]);
    trackOk(a, 't', 'k1', 'c1', {});
    g.push(a.takeDelta()!);
    trackOk(a, 't', 'k2', 'c2', {});
    g.push(a.takeDelta()!);
    expect(levels(g)).toEqual([
      { replica: 'a', from: 1, to: 2, adds: [2], removes: [] },
      { replica: 'a', from: 0, to: 2, adds: [1, 2], removes: [] },
    ]);
    // A remote at 1: the smallest window that starts at or before it and brings something.
    expect(windowOf(g.windowFor(1)!)).toEqual({
      replica: 'a',
      from: 1,
      to: 2,
      adds: [2],
      removes: [],
    });
    expect(windowOf(g.windowFor(0)!).from).toBe(0);
    expect(g.windowFor(2)).toBeUndefined(); // it has everything

    // Through the state: b at 1 gets (1, 2], not the whole state.
    const s = newState('s', { maxDeltaSizes: [1, 5] });
    const b = newState('b');
    connectAll(s, b);
    trackOk(s, 't', 'k1', 'c1', {});
    broadcast(s, b);
    trackOk(s, 't', 'k2', 'c2', {});
    s.takeDelta(); // lost on the way to b
    const parts = s.extract(b.self.ref, b.clock(), 'x');
    expect(parts.map((p) => (p.kind === 'window' ? windowOf(p.window) : p.kind))).toEqual([
      { replica: 's', from: 1, to: 2, adds: [2], removes: [] },
    ]);
  });

  it('6. an empty delta is not extracted', () => {
    // Level 1 emptied by an oversized delta is skipped; the next level is used, trimmed to what
    // the requester lacks (Phoenix pruned to the remote's replicas; ours prunes to its counter).
    const a = newState('a', { maxDeltaSizes: [1, 5] });
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 't', 'k1', 'c1', {});
    broadcast(a, b);
    trackOk(a, 't', 'k2', 'c2', {});
    trackOk(a, 't', 'k3', 'c3', {});
    a.takeDelta(); // lost
    expect(a.self.generations.windows.map(windowOf)).toEqual([
      { replica: 'a', from: 3, to: 3, adds: [], removes: [] },
      { replica: 'a', from: 0, to: 3, adds: [1, 2, 3], removes: [] },
    ]);
    const parts = a.extract(b.self.ref, b.clock(), 'x');
    expect(parts.map((p) => (p.kind === 'window' ? windowOf(p.window) : p.kind))).toEqual([
      { replica: 'a', from: 1, to: 3, adds: [2, 3], removes: [] },
    ]);
    expect(changeOf(mergeParts(b, parts).change).joins.map((r) => r.dot)).toEqual(['a:2', 'a:3']);
    expect(onlineList(b)).toEqual(onlineList(a));
  });

  it('7. delta that is not dominating on common set of replicas is not extracted', () => {
    // b knows a; a also holds x's entries, which b does not know. b has all of a: nothing is sent.
    const a = newState('a');
    const b = newState('b');
    const x = newState('x');
    connectAll(a, b);
    a.replicaUp(x.self.ref);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    trackOk(x, 'lobby', 'xavier', 'cx', {});
    broadcast(a, b);
    broadcast(x, a);
    expect(a.count('lobby')).toBe(2);
    expect(a.extract(b.self.ref, b.clock(), 't')).toEqual([]);
    expect(sync(b, a).statuses).toEqual([]);
  });
});

describe('default delta sizes (Phoenix max_delta_sizes)', () => {
  it('a slightly-behind replica gets a delta, a far-behind one the full state', () => {
    expect(DEFAULT_MAX_DELTA_SIZES).toEqual([100, 1_000, 10_000]);
    const a = newState('a');
    const near = newState('near');
    const mid = newState('mid');
    const behind = newState('behind');
    connectAll(a, near, mid, behind);
    let n = 0;
    const batch = (...to: (typeof a)[]) => {
      for (let i = 0; i < 50; i++, n++) trackOk(a, `user:${n}`, `u${n}`, `c${n}`, {});
      const w = a.takeDelta()!;
      for (const s of to) expect(s.mergeDelta(w).status).toBe('applied');
    };
    for (let i = 0; i < 11; i++) batch(near, mid, behind); // behind stops at 550
    for (let i = 11; i < 190; i++) batch(near, mid); // mid stops at 9,500
    for (let i = 190; i < 198; i++) batch(near); // near stops at 9,900
    batch(); // a at 9,950
    expect(a.contextOf(a.self.ref)).toBe(9_950);
    const fromOf = (s: typeof a) =>
      a
        .extract(s.self.ref, s.clock(), 'x')
        .map((p) => (p.kind === 'window' ? windowOf(p.window).from : p.kind));
    expect(a.self.generations.windows.map((w) => [w.from, w.to])).toEqual([
      [9_900, 9_950],
      [9_000, 9_950],
      [0, 9_950],
    ]);
    expect(fromOf(near)).toEqual([9_900]); // the 100-level
    expect(fromOf(mid)).toEqual([9_500]); // the 1,000-level, trimmed to what mid lacks
    expect(fromOf(behind)).toEqual([550]); // the 10,000-level

    // Past 10,000 changes every level restarts: whoever is before the restart gets a snapshot.
    sync(near, a);
    batch(near);
    batch(near);
    batch();
    expect(a.self.generations.windows.map((w) => [w.from, w.to])).toEqual([
      [10_000, 10_100],
      [10_000, 10_100],
      [10_000, 10_100],
    ]);
    expect(fromOf(near)).toEqual([10_050]);
    expect(new Set(fromOf(mid))).toEqual(new Set(['snapshot']));
    expect(fromOf(mid)).toHaveLength(2); // 10,100 entries in chunks of 10,000
    for (const s of [near, mid, behind]) {
      sync(s, a);
      expect(s.contextOf(a.self.ref)).toBe(10_100);
      expect(s.size).toBe(10_100);
    }
  });
});
