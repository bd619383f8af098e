/**
 * Phoenix's state tests (phoenix_pubsub `test/phoenix/tracker/state_test.exs`) and the track /
 * untrack / update semantics of its `shard_replication_test.exs`, as they apply to the pure core.
 * Replicas are named `{node, 1}` like Phoenix's; the Phoenix "pid" is our connection id.
 */
import { describe, expect, it } from 'vitest';
import { mergeWindows, phxRef, replicaKey, wireMeta } from '../../src/core/index.js';
import {
  broadcast,
  changeOf,
  clockOf,
  connectAll,
  mergeParts,
  NO_CHANGE,
  newState,
  observe,
  onlineList,
  ref,
  rows,
  sync,
  trackOk,
  windowOf,
} from '../support/core-fixtures.js';

describe('Phoenix state_test', () => {
  it('1. that this is set up correctly', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    // Phoenix: extract yields an empty values map. Ours: nothing to send at all.
    expect(a.extract(b.self.ref, b.clock(), 't')).toEqual([]);
    expect(clockOf(a)).toEqual({ a: 0, b: 0 });
    expect(a.size).toBe(0);
    expect(a.topicCount).toBe(0);
    expect(a.hasDelta()).toBe(false);
    expect(a.takeDelta()).toBeUndefined();
    expect(onlineList(a)).toEqual([]);
  });

  it('2. user added online is online', () => {
    const a = newState('a');
    const tracked = a.track('lobby', 'alice', 'c1', { status: 'online' });
    expect(tracked.ok).toBe(true);
    if (!tracked.ok) return;
    const alice = { topic: 'lobby', key: 'alice', meta: { status: 'online' }, dot: 'a:1' };
    expect(changeOf(tracked.change)).toEqual({ joins: [alice], leaves: [] });
    expect(rows(a.list('lobby'))).toEqual([alice]);
    expect(a.count('lobby')).toBe(1);

    expect(changeOf(a.untrack('lobby', 'alice', 'c1'))).toEqual({ joins: [], leaves: [alice] });
    expect(a.list('lobby')).toEqual([]);
    expect(a.count('lobby')).toBe(0);
    expect(a.size).toBe(0);
    expect(a.topicCount).toBe(0);
  });

  it('3. users from other servers merge', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    const alice = { topic: 'lobby', key: 'alice', meta: { n: 1 }, dot: 'a:1' };
    const bob = { topic: 'lobby', key: 'bob', meta: { n: 1 }, dot: 'b:1' };
    trackOk(a, 'lobby', 'alice', 'ca', { n: 1 });
    trackOk(b, 'lobby', 'bob', 'cb', { n: 1 });

    // b merges a's state: exactly a's element joins, both listed.
    const first = sync(b, a);
    expect(first.statuses).toEqual(['applied']);
    expect(changeOf(first.change)).toEqual({ joins: [alice], leaves: [] });
    expect(onlineList(b)).toEqual([alice, bob]);

    // Merging the same extract again reports nothing and changes nothing (both directions).
    const before = observe(b);
    const again = mergeParts(b, first.parts);
    expect(again.statuses).toEqual(['stale']);
    expect(changeOf(again.change)).toEqual(NO_CHANGE);
    expect(observe(b)).toEqual(before);

    const reverse = sync(a, b);
    expect(changeOf(reverse.change)).toEqual({ joins: [bob], leaves: [] });
    const aBefore = observe(a);
    expect(changeOf(mergeParts(a, reverse.parts).change)).toEqual(NO_CHANGE);
    expect(observe(a)).toEqual(aBefore);
    // b's own connection index is untouched by merges (Phoenix: the pid index).
    expect(rows(b.connectionPresences('cb'))).toEqual([bob]);

    // A remote leave arrives as exactly one leave, and the entry is gone from the dot index.
    a.untrack('lobby', 'alice', 'ca');
    expect(changeOf(sync(b, a).change)).toEqual({ joins: [], leaves: [alice] });
    expect(b.entryCount(a.self.ref)).toBe(0);
    expect(b.contextOf(a.self.ref)).toBe(2);

    // A later remote join arrives as a join.
    trackOk(a, 'lobby', 'alice', 'ca', { n: 2 });
    const alice3 = { ...alice, meta: { n: 2 }, dot: 'a:3' };
    expect(changeOf(sync(b, a).change)).toEqual({ joins: [alice3], leaves: [] });
    expect(onlineList(a)).toEqual(onlineList(b));

    // A remote update: one join with the new meta (and phx_ref_prev), one leave with the old.
    const updated = a.update('lobby', 'alice', 'ca', { n: 3 });
    expect(updated.ok).toBe(true);
    const up = sync(b, a);
    expect(changeOf(up.change)).toEqual({
      joins: [{ ...alice, meta: { n: 3 }, dot: 'a:4' }],
      leaves: [alice3],
    });
    const [join] = up.change.joins;
    const [leave] = up.change.leaves;
    expect(wireMeta(join!)).toEqual({ n: 3, phx_ref: phxRef(join!), phx_ref_prev: phxRef(leave!) });
    expect(wireMeta(leave!)).toEqual({ n: 2, phx_ref: phxRef(leave!) });
    // The ref the receiver derives is the one the owner derives.
    if (updated.ok) expect(wireMeta(join!)).toEqual(wireMeta(updated.presence));

    const bAfter = observe(b);
    expect(changeOf(mergeParts(b, up.parts).change)).toEqual(NO_CHANGE);
    expect(observe(b)).toEqual(bAfter);
    expect(rows(b.connectionPresences('cb'))).toEqual([bob]);
    expect(onlineList(a)).toEqual(onlineList(b));
  });

  it('4. basic netsplit', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    const alice = { topic: 'lobby', key: 'alice', meta: {}, dot: 'a:1' };
    trackOk(a, 'lobby', 'alice', 'ca', {});
    trackOk(b, 'lobby', 'bob', 'cb', {});
    const w1 = broadcast(a, b);
    expect(rows(b.list('lobby')).map((r) => r.key)).toEqual(['bob', 'alice']);

    expect(changeOf(b.replicaDown(a.self.ref))).toEqual({ joins: [], leaves: [alice] });
    expect(rows(b.list('lobby')).map((r) => r.key)).toEqual(['bob']);
    expect(b.entryCount(a.self.ref)).toBe(1);
    // Down replicas are left out of the clock we send (Phoenix PR #136).
    expect(clockOf(b)).toEqual({ b: 1 });

    // Merging a's unchanged state while it is down reports nothing and keeps it hidden.
    // (Ours: b's clock omits a, so a's extract for b leaves a out; the raw delta is stale.)
    expect(a.extract(b.self.ref, b.clock(), 't')).toEqual([]);
    expect(b.mergeDelta(w1)).toEqual({ status: 'stale', change: NO_CHANGE });
    // New data of a down replica is applied silently (Phoenix reported joins for it).
    trackOk(a, 'lobby', 'carol', 'cc', {});
    expect(b.mergeDelta(broadcast(a))).toEqual({ status: 'applied', change: NO_CHANGE });
    expect(b.contextOf(a.self.ref)).toBe(2);
    expect(rows(b.list('lobby')).map((r) => r.key)).toEqual(['bob']);

    // Local changes meanwhile are unaffected.
    trackOk(b, 'lobby', 'dave', 'cd', {});
    expect(rows(b.list('lobby')).map((r) => r.key)).toEqual(['bob', 'dave']);

    const carol = { topic: 'lobby', key: 'carol', meta: {}, dot: 'a:2' };
    expect(changeOf(b.replicaUp(a.self.ref))).toEqual({ joins: [alice, carol], leaves: [] });
    expect(b.replicaUp(a.self.ref)).toEqual(NO_CHANGE);
    expect(clockOf(b)).toEqual({ a: 2, b: 2 });
    expect(b.count('lobby')).toBe(4);
    expect(b.keyCount('lobby')).toBe(4);
    expect(b.replicaDown(b.self.ref)).toEqual(NO_CHANGE); // never down to itself
  });

  it('4b. basic netsplit: a transfer merged while the replica is down is silent', () => {
    // Ours: b's clock omits a down replica, so here b asks for a explicitly (as after a restart
    // of its link); adds and removes land in a's hidden slot and only the survivors join at up.
    const a = newState('a', { maxDeltaSizes: [] });
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'lobby', 'alice', 'ca', {}); // 1
    trackOk(a, 'lobby', 'bob', 'cb', {}); // 2
    sync(b, a);
    b.replicaDown(a.self.ref);
    a.untrack('lobby', 'alice', 'ca'); // 3
    trackOk(a, 'lobby', 'carol', 'cc', {}); // 4
    a.takeDelta(); // lost: a snapshot is needed
    const asked = new Map([...b.clock(), [replicaKey(a.self.ref), b.contextOf(a.self.ref)!]]);
    const parts = a.extract(b.self.ref, asked, 't');
    expect(parts.map((p) => p.kind)).toEqual(['snapshot']);
    expect(mergeParts(b, parts)).toMatchObject({ statuses: ['applied'], change: NO_CHANGE });
    expect(b.contextOf(a.self.ref)).toBe(4);
    expect(b.list('lobby')).toEqual([]);
    expect(b.entriesOf(a.self.ref).map((p) => p.key)).toEqual(['bob', 'carol']);
    expect(changeOf(b.replicaUp(a.self.ref)).joins.map((r) => r.dot)).toEqual(['a:2', 'a:4']);
    expect(onlineList(b)).toEqual(onlineList(a));
  });

  /** a, b, c; a and c never merge directly (Phoenix: marked down on both sides). */
  function splitTriangle() {
    const a = newState('a');
    const b = newState('b');
    const c = newState('c');
    connectAll(a, b, c);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    sync(b, a);
    sync(c, b);
    return { a, b, c };
  }

  it('5. joins are observed via other node', () => {
    // Ours: c sees a's entries only through b's transfer, and only while a is up at c (a down
    // replica's entries are hidden and it is left out of c's clock, so b does not send them).
    const { a, b, c } = splitTriangle();
    const alice = { topic: 'lobby', key: 'alice', meta: {}, dot: 'a:1' };
    expect(onlineList(c)).toEqual([alice]);

    trackOk(a, 'lobby', 'bob', 'cb', {});
    const bob = { topic: 'lobby', key: 'bob', meta: {}, dot: 'a:2' };
    expect(changeOf(sync(b, a).change)).toEqual({ joins: [bob], leaves: [] });
    expect(changeOf(sync(c, b).change)).toEqual({ joins: [bob], leaves: [] });
    expect(onlineList(c)).toEqual([alice, bob]);

    // With a down at c: the leave is reported, nothing about a flows through b...
    expect(changeOf(c.replicaDown(a.self.ref))).toEqual({ joins: [], leaves: [alice, bob] });
    trackOk(a, 'lobby', 'carol', 'cc', {});
    const carol = { topic: 'lobby', key: 'carol', meta: {}, dot: 'a:3' };
    expect(changeOf(sync(b, a).change)).toEqual({ joins: [carol], leaves: [] });
    expect(sync(c, b).statuses).toEqual([]);
    // ...until a is up at c: what c holds joins, then the transfer brings the rest.
    expect(changeOf(c.replicaUp(a.self.ref))).toEqual({ joins: [alice, bob], leaves: [] });
    expect(changeOf(sync(c, b).change)).toEqual({ joins: [carol], leaves: [] });
    expect(onlineList(c)).toEqual(onlineList(a));
    expect(c.contextOf(a.self.ref)).toBe(3);
  });

  it('6. removes are observed via other node', () => {
    const { a, b, c } = splitTriangle();
    const alice = { topic: 'lobby', key: 'alice', meta: {}, dot: 'a:1' };
    a.untrack('lobby', 'alice', 'ca');
    expect(changeOf(sync(b, a).change)).toEqual({ joins: [], leaves: [alice] });
    expect(changeOf(sync(c, b).change)).toEqual({ joins: [], leaves: [alice] });
    expect(onlineList(c)).toEqual([]);
    expect(c.entryCount(a.self.ref)).toBe(0);
    expect(c.contextOf(a.self.ref)).toBe(2);
    // Relayed twice: nothing more.
    expect(changeOf(sync(c, b).change)).toEqual(NO_CHANGE);
  });

  it('7. get_by_pid', () => {
    // Phoenix get_by_pid/2 → connectionPresences (own rows of a connection, in tracking order).
    const a = newState('a');
    trackOk(a, 'topic1', 'k1', 'conn', { x: 1 });
    trackOk(a, 'topic2', 'k2', 'conn', { x: 2 });
    trackOk(a, 'topic1', 'k1', 'other', {});
    expect(rows(a.connectionPresences('conn'))).toEqual([
      { topic: 'topic1', key: 'k1', meta: { x: 1 }, dot: 'a:1' },
      { topic: 'topic2', key: 'k2', meta: { x: 2 }, dot: 'a:2' },
    ]);
    expect(a.connectionPresences('nobody')).toEqual([]);
    // get_by_pid/4 (one row by pid/topic/key) has no public read; it is the duplicate check.
    expect(a.track('topic1', 'k1', 'conn', {})).toEqual({ ok: false, reason: 'already-tracked' });
    expect(a.update('topic3', 'k1', 'conn', {})).toEqual({ ok: false, reason: 'no-presence' });
  });

  it('8. get_by_key', () => {
    const a = newState('a');
    trackOk(a, 'topic', 'key1', 'pid1', { n: 1 });
    trackOk(a, 'topic', 'key1', 'pid2', { n: 2 });
    trackOk(a, 'topic', 'key2', 'pid1', { n: 3 });
    expect(rows(a.get('topic', 'key1'))).toEqual([
      { topic: 'topic', key: 'key1', meta: { n: 1 }, dot: 'a:1' },
      { topic: 'topic', key: 'key1', meta: { n: 2 }, dot: 'a:2' },
    ]);
    expect(a.get('another:topic', 'key1')).toEqual([]);
    expect(a.get('topic', 'another_key')).toEqual([]);
  });

  it('9. get_by_topic', () => {
    const s1 = newState('s1');
    const s2 = newState('s2');
    const s3 = newState('s3');
    connectAll(s1, s2, s3);
    expect(s1.contextOf(s2.self.ref)).toBe(0);
    expect(s1.contextOf(s3.self.ref)).toBe(0);
    trackOk(s1, 'topic', 'k1', 'p1', {});
    trackOk(s1, 'topic', 'k2', 'p2', {});
    trackOk(s2, 'topic', 'k3', 'p3', {});
    trackOk(s3, 'topic', 'k4', 'p4', {});
    expect(rows(s1.list('topic')).map((r) => r.dot)).toEqual(['s1:1', 's1:2']);
    sync(s1, s2);
    sync(s1, s3);
    expect(rows(s1.list('topic')).map((r) => r.dot)).toEqual(['s1:1', 's1:2', 's2:1', 's3:1']);
    s1.replicaDown(s2.self.ref);
    expect(rows(s1.list('topic')).map((r) => r.dot)).toEqual(['s1:1', 's1:2', 's3:1']);
    s1.replicaDown(s3.self.ref);
    expect(rows(s1.list('topic')).map((r) => r.dot)).toEqual(['s1:1', 's1:2']);
    expect(s1.list('another:topic')).toEqual([]);
  });

  it('10. remove_down_replicas', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    trackOk(a, 'room', 'alice', 'ca', {});
    const w = broadcast(a, b);
    b.replicaDown(a.self.ref);
    expect(b.entryCount(a.self.ref)).toBe(2);

    // Already down: the leaves were reported then, not again.
    expect(b.replicaPermdown(a.self.ref)).toEqual(NO_CHANGE);
    expect(b.entryCount(a.self.ref)).toBe(0);
    expect(b.knows(a.self.ref)).toBe(false);
    expect(b.contextOf(a.self.ref)).toBeUndefined();
    expect(b.replicas().map(replicaKey)).toEqual(['b#1']); // forgotten (Phoenix issue #179)
    expect(clockOf(b)).toEqual({ b: 0 });
    expect(b.replicaPermdown(a.self.ref)).toEqual(NO_CHANGE);
    // Later data for it is ignored until it is seen up again.
    expect(b.mergeDelta(w)).toEqual({ status: 'unknown-replica', change: NO_CHANGE });
    expect(b.extract(a.self.ref, new Map([[replicaKey(a.self.ref), 0]]), 't')).toEqual([]);

    // Up again: the old rows do not come back; it starts from nothing.
    expect(b.replicaUp(a.self.ref)).toEqual(NO_CHANGE);
    expect(b.contextOf(a.self.ref)).toBe(0);
    expect(onlineList(b)).toEqual([]);
    trackOk(a, 'lobby', 'bob', 'cb', {});
    expect(b.mergeDelta(broadcast(a)).status).toBe('gap');
    expect(changeOf(sync(b, a).change).joins.map((r) => r.dot)).toEqual(['a:1', 'a:2', 'a:3']);
  });

  it('10b. remove_down_replicas of a replica that is up reports its leaves', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    broadcast(a, b);
    expect(changeOf(b.replicaPermdown(a.self.ref))).toEqual({
      joins: [],
      leaves: [{ topic: 'lobby', key: 'alice', meta: {}, dot: 'a:1' }],
    });
    expect(b.list('lobby')).toEqual([]);
    expect(b.size).toBe(0);
    expect(b.topicCount).toBe(0);
    expect(b.replicaPermdown(b.self.ref)).toEqual(NO_CHANGE); // never forgets itself
  });

  it('11. basic deltas', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(b, 'lobby', 'bob', 'cb', {});
    trackOk(a, 'lobby', 'alice', 'ca', {});
    const alice = { topic: 'lobby', key: 'alice', meta: {}, dot: 'a:1' };

    const w1 = a.takeDelta()!;
    expect(windowOf(w1)).toEqual({ replica: 'a', from: 0, to: 1, adds: [1], removes: [] });
    const m1 = b.mergeDelta(w1);
    expect(m1.status).toBe('applied');
    expect(changeOf(m1.change)).toEqual({ joins: [alice], leaves: [] });
    expect(clockOf(b)).toEqual({ a: 1, b: 1 });
    // The same delta again: nothing.
    expect(b.mergeDelta(w1)).toEqual({ status: 'stale', change: NO_CHANGE });

    a.untrack('lobby', 'alice', 'ca');
    const w2 = a.takeDelta()!;
    expect(windowOf(w2)).toEqual({ replica: 'a', from: 1, to: 2, adds: [], removes: [1] });
    expect(changeOf(b.mergeDelta(w2).change)).toEqual({ joins: [], leaves: [alice] });
    expect(clockOf(b)).toEqual({ a: 2, b: 1 });

    trackOk(a, 'lobby', 'alice', 'ca', {});
    expect(changeOf(b.mergeDelta(a.takeDelta()!).change)).toEqual({
      joins: [{ ...alice, dot: 'a:3' }],
      leaves: [],
    });
    // Phoenix: all clouds empty. Ours has no cloud: the context is contiguous and exact.
    expect(clockOf(b)).toEqual({ a: 3, b: 1 });
    expect(onlineList(b).map((r) => r.dot)).toEqual(['a:3', 'b:1']);
    expect(a.hasDelta()).toBe(false);
    expect(a.takeDelta()).toBeUndefined();
  });

  it('11b. a delta after a missed one is a gap: not applied, healed by a transfer', () => {
    // Ours: Phoenix applied it and parked the dots in a cloud; we refuse it and ask for a transfer.
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    a.takeDelta(); // lost
    trackOk(a, 'lobby', 'bob', 'cb', {});
    a.untrack('lobby', 'alice', 'ca');
    const w2 = a.takeDelta()!;
    const before = observe(b);
    expect(b.mergeDelta(w2)).toEqual({ status: 'gap', change: NO_CHANGE });
    expect(observe(b)).toEqual(before);

    const healed = sync(b, a);
    expect(healed.parts.map((p) => p.kind)).toEqual(['window']);
    expect(changeOf(healed.change)).toEqual({
      joins: [{ topic: 'lobby', key: 'bob', meta: {}, dot: 'a:2' }],
      leaves: [],
    });
    expect(b.contextOf(a.self.ref)).toBe(3);
    expect(b.mergeDelta(w2).status).toBe('stale');
    // An empty window (a heartbeat) from beyond our context also reveals the gap.
    expect(
      b.mergeDelta({ replica: a.self.ref, from: 5, to: 5, adds: [], removes: [] }).status,
    ).toBe('gap');
    expect(
      b.mergeDelta({ replica: a.self.ref, from: 3, to: 3, adds: [], removes: [] }).status,
    ).toBe('stale');
  });

  it('11c. own deltas echoed back and deltas of unknown replicas are ignored', () => {
    const a = newState('a');
    const b = newState('b');
    const x = newState('x');
    connectAll(a, b);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    trackOk(x, 'lobby', 'xavier', 'cx', {});
    const wa = a.takeDelta()!;
    const before = observe(a);
    expect(a.mergeDelta(wa)).toEqual({ status: 'own', change: NO_CHANGE });
    expect(b.mergeDelta(x.takeDelta()!)).toEqual({ status: 'unknown-replica', change: NO_CHANGE });
    expect(observe(a)).toEqual(before);
    expect(b.knows(x.self.ref)).toBe(false);
    expect(onlineList(b)).toEqual([]);
  });

  it('12. deltas are not merged for non-contiguous ranges', () => {
    const a = newState('a');
    trackOk(a, 't', 'k1', 'c', {});
    const w01 = a.takeDelta()!;
    trackOk(a, 't', 'k2', 'c', {});
    a.takeDelta(); // (1, 2] missing
    trackOk(a, 't', 'k3', 'c', {});
    const w23 = a.takeDelta()!;
    expect(windowOf(w01)).toMatchObject({ from: 0, to: 1 });
    expect(windowOf(w23)).toMatchObject({ from: 2, to: 3 });
    expect(mergeWindows(w01, w23)).toEqual({ ok: false, reason: 'not-contiguous' });
    expect(mergeWindows(w23, w01)).toEqual({ ok: false, reason: 'not-contiguous' });
  });

  it('13. extracted state context contains only replicas known to remote replica', () => {
    const s1 = newState('s1');
    const s2 = newState('s2');
    const s3 = newState('s3');
    s1.replicaUp(s2.self.ref);
    s2.replicaUp(s1.self.ref);
    s2.replicaUp(s3.self.ref);
    s3.replicaUp(s2.self.ref);
    trackOk(s1, 'lobby', 'one', 'c1', {});
    trackOk(s2, 'lobby', 'two', 'c2', {});
    trackOk(s3, 'lobby', 'three', 'c3', {});
    sync(s2, s1);
    sync(s2, s3);
    expect(clockOf(s2)).toEqual({ s1: 1, s2: 1, s3: 1 });
    // For s1 (knows only s2): s2's rows only: never s1's own, never s3 it does not know.
    const parts = s2.extract(s1.self.ref, s1.clock(), 't');
    expect(parts.map((p) => (p.kind === 'window' ? p.window.replica : p.replica).name)).toEqual([
      's2',
    ]);
    expect(changeOf(mergeParts(s1, parts).change).joins.map((r) => r.dot)).toEqual(['s2:1']);
    expect(clockOf(s1)).toEqual({ s1: 1, s2: 1 });
    // Even told about s3 in a transfer, s1 ignores it.
    const forS3 = s2.extract(s3.self.ref, new Map([[replicaKey(s1.self.ref), 0]]), 'u');
    expect(mergeParts(newState('s1-twin'), forS3).statuses).toEqual(['unknown-replica']);
  });

  it('14. merging deltas', () => {
    // Ours: windows are per replica, so "independent deltas" are consecutive windows of one.
    const a = newState('a');
    trackOk(a, 't', 'k1', 'c1', {});
    trackOk(a, 't', 'k2', 'c2', {});
    const w1 = a.takeDelta()!;
    trackOk(a, 't', 'k3', 'c3', {});
    const w2 = a.takeDelta()!;
    const merged = mergeWindows(w1, w2);
    expect(merged.ok).toBe(true);
    if (!merged.ok) return;
    expect(windowOf(merged.window)).toEqual({
      replica: 'a',
      from: 0,
      to: 3,
      adds: [1, 2, 3],
      removes: [],
    });
    expect(merged.window.adds.map((e) => e.key)).toEqual(['k1', 'k2', 'k3']);
    // Either order gives the same window.
    const reversed = mergeWindows(w2, w1);
    expect(reversed.ok && windowOf(reversed.window)).toEqual(windowOf(merged.window));
  });

  it('15. merging deltas with removes', () => {
    // "Concurrent add wins" does not apply: only the owner adds or removes its entries.
    const a = newState('a');
    trackOk(a, 't', 'k1', 'c1', {}); // 1
    trackOk(a, 't', 'k2', 'c2', {}); // 2
    const w1 = a.takeDelta()!;
    trackOk(a, 't', 'k3', 'c3', {}); // 3
    a.untrack('t', 'k3', 'c3'); // 4
    const w2 = a.takeDelta()!;
    expect(windowOf(w2)).toEqual({ replica: 'a', from: 2, to: 4, adds: [], removes: [3] });
    const m = mergeWindows(w1, w2);
    expect(m.ok && windowOf(m.window)).toEqual({
      replica: 'a',
      from: 0,
      to: 4,
      adds: [1, 2],
      removes: [3],
    });
    // Merging the same window again gives an identical window.
    if (!m.ok) return;
    const again = mergeWindows(m.window, w2);
    expect(again.ok && windowOf(again.window)).toEqual(windowOf(m.window));
    expect(mergeWindows(w1, w1)).toEqual({ ok: true, window: w1 });

    // A later remove of one of w1's entries drops its value; its counter joins the removes.
    a.untrack('t', 'k1', 'c1'); // 5
    const w3 = a.takeDelta()!;
    const m2 = mergeWindows(m.window, w3);
    expect(m2.ok && windowOf(m2.window)).toEqual({
      replica: 'a',
      from: 0,
      to: 5,
      adds: [2],
      removes: [1, 3],
    });
    // Applying the merged window equals applying the pieces.
    const viaPieces = newState('b');
    const viaMerged = newState('c');
    connectAll(a, viaPieces, viaMerged);
    for (const w of [w1, w2, w3]) viaPieces.mergeDelta(w);
    if (m2.ok) viaMerged.mergeDelta(m2.window);
    expect(onlineList(viaMerged)).toEqual(onlineList(viaPieces));
    expect(onlineList(viaMerged)).toEqual(onlineList(a));
    expect(viaMerged.contextOf(a.self.ref)).toBe(5);
  });
});

describe('transfers (Phoenix extract / transfer_ack, ours per replica and chunked)', () => {
  it('a far-behind replica gets a chunked snapshot; removes apply when every chunk arrived', () => {
    // Level size 2: a's first delta (5 adds) is too large to buffer, so no window reaches b.
    const a = newState('a', { snapshotChunkSize: 2, maxDeltaSizes: [2] });
    const b = newState('b');
    connectAll(a, b);
    for (let i = 1; i <= 5; i++) trackOk(a, 'lobby', `u${i}`, `c${i}`, {});
    broadcast(a, b);
    // b misses (5, 7] (u1 leaves, u6 joins) and (7, 8] (u7 joins).
    a.untrack('lobby', 'u1', 'c1'); // 6
    trackOk(a, 'lobby', 'u6', 'c6', {}); // 7
    a.takeDelta();
    trackOk(a, 'lobby', 'u7', 'c7', {}); // 8
    a.takeDelta();
    expect(a.self.generations.windows.map(windowOf)).toEqual([
      { replica: 'a', from: 7, to: 8, adds: [8], removes: [] },
    ]);
    const parts = a.extract(b.self.ref, b.clock(), 'x');
    expect(
      parts.map((p) => (p.kind === 'snapshot' ? [p.chunk, p.chunkCount, p.upTo] : p.kind)),
    ).toEqual([
      [0, 3, 8],
      [1, 3, 8],
      [2, 3, 8],
    ]);
    const [p0, p1, p2] = parts;
    // Out of order, with a duplicate: adds show at once, the remove waits for completion.
    const r2 = b.mergeTransfer(p2!);
    expect(r2.status).toBe('partial');
    expect(changeOf(r2.change).joins.map((r) => r.key)).toEqual(['u6', 'u7']);
    expect(b.mergeTransfer(p2!)).toEqual({ status: 'partial', change: NO_CHANGE });
    expect(b.mergeTransfer(p0!)).toEqual({ status: 'partial', change: NO_CHANGE });
    expect(b.contextOf(a.self.ref)).toBe(5);
    const r1 = b.mergeTransfer(p1!);
    expect(r1.status).toBe('applied');
    expect(changeOf(r1.change)).toEqual({
      joins: [],
      leaves: [{ topic: 'lobby', key: 'u1', meta: {}, dot: 'a:1' }],
    });
    expect(b.contextOf(a.self.ref)).toBe(8);
    expect(onlineList(b)).toEqual(onlineList(a));
    // The whole transfer again: stale, nothing.
    const before = observe(b);
    expect(mergeParts(b, parts).statuses).toEqual(['stale', 'stale', 'stale']);
    expect(observe(b)).toEqual(before);
  });

  it('an abandoned snapshot, then a shorter one from a relay: the owner’s delta joins nothing twice', () => {
    // a's buffered windows do not reach c's 0 (level 2 restarted at 2), so a sends a snapshot.
    const a = newState('a', { snapshotChunkSize: 1, maxDeltaSizes: [2] });
    const b = newState('b', { maxDeltaSizes: [] }); // the relay buffers nothing: snapshots only
    const c = newState('c');
    connectAll(a, b, c);
    trackOk(a, 'lobby', 'u1', 'c1', {});
    trackOk(a, 'lobby', 'u2', 'c2', {});
    broadcast(a, b); // b has a up to 2
    trackOk(a, 'lobby', 'u3', 'c3', {});
    const w23 = broadcast(a); // lost on the way to c
    const fromA = a.extract(c.self.ref, c.clock(), 'from-a');
    expect(fromA.map((p) => p.kind)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    // Only u3's chunk arrives; the rest of that transfer is lost.
    const u3chunk = fromA.find((p) => p.kind === 'snapshot' && p.entries[0]?.key === 'u3')!;
    expect(changeOf(c.mergeTransfer(u3chunk).change).joins.map((r) => r.dot)).toEqual(['a:3']);
    // c asks b instead: b knows a only up to 2.
    const fromB = sync(c, b);
    expect(fromB.statuses).toEqual(['applied']);
    expect(changeOf(fromB.change).joins.map((r) => r.dot)).toEqual(['a:1', 'a:2']);
    expect(c.contextOf(a.self.ref)).toBe(2);
    // Now the lost delta (2, 3] arrives: u3 is already there, nothing joins.
    const before = observe(c);
    expect(c.mergeDelta(w23)).toEqual({ status: 'applied', change: NO_CHANGE });
    expect(rows(c.list('lobby')).map((r) => r.dot)).toEqual(['a:3', 'a:1', 'a:2']);
    expect(c.count('lobby')).toBe(3);
    const after = observe(c);
    expect(after.online).toEqual(before.online);
    expect(after.size).toBe(3);
    expect(after.clock).toEqual({ ...before.clock, a: 3 });
    expect(onlineList(c)).toEqual(onlineList(a));
  });

  it('a half-received snapshot is not forwarded beyond its context: merging sources commutes', () => {
    // Found by the merge-commutativity property: c holds a:3 from an unfinished snapshot of a
    // while its context of a is still 1. Forwarding a:3 in c's own snapshot of a would let an
    // observer see it or not depending on whether it merged c or b first.
    const a = newState('a', { snapshotChunkSize: 1, maxDeltaSizes: [] }); // snapshots only
    const b = newState('b');
    const c = newState('c');
    connectAll(a, b, c);
    trackOk(a, 'lobby', 'u1', 'c1', {});
    a.takeDelta();
    sync(b, a);
    sync(c, a); // both know a up to 1, from a complete snapshot
    trackOk(a, 'lobby', 'u2', 'c2', {});
    trackOk(a, 'lobby', 'u3', 'c3', {});
    a.takeDelta();
    const u3chunk = a
      .extract(c.self.ref, c.clock(), 'from-a')
      .find((p) => p.kind === 'snapshot' && p.entries[0]?.key === 'u3')!;
    expect(c.mergeTransfer(u3chunk).status).toBe('partial');
    expect(c.contextOf(a.self.ref)).toBe(1);
    const observerOf = (name: string) => {
      const o = newState(name);
      connectAll(o, a, b, c);
      return o;
    };
    const cb = observerOf('cb');
    sync(cb, c);
    sync(cb, b);
    const bc = observerOf('bc');
    sync(bc, b);
    sync(bc, c);
    expect(observe(cb).online).toEqual(observe(bc).online);
    expect(rows(cb.list('lobby')).map((r) => r.dot)).toEqual(['a:1']);
  });

  it('a replica that is up to date is sent nothing', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'lobby', 'alice', 'ca', {});
    sync(b, a);
    expect(a.extract(b.self.ref, b.clock(), 't')).toEqual([]);
  });
});

describe('track / untrack / update (Phoenix shard_replication_test)', () => {
  it('8. untrack with no tracked topic is a noop', () => {
    const a = newState('a');
    trackOk(a, 'lobby', 'alice', 'c1', {});
    a.takeDelta();
    expect(a.untrack('other', 'alice', 'c1')).toEqual(NO_CHANGE);
    expect(a.untrack('lobby', 'bob', 'c1')).toEqual(NO_CHANGE);
    expect(a.untrack('lobby', 'alice', 'c2')).toEqual(NO_CHANGE);
    expect(a.untrackConnection('nobody')).toEqual(NO_CHANGE);
    // No counter consumed, nothing to broadcast.
    expect(a.contextOf(a.self.ref)).toBe(1);
    expect(a.hasDelta()).toBe(false);
  });

  it('9. untrack with topic', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'topic1', 'me', 'conn', { n: 1 });
    trackOk(a, 'topic2', 'me', 'conn', { n: 2 });
    broadcast(a, b);
    expect(changeOf(a.untrack('topic1', 'me', 'conn'))).toEqual({
      joins: [],
      leaves: [{ topic: 'topic1', key: 'me', meta: { n: 1 }, dot: 'a:1' }],
    });
    expect(a.list('topic1')).toEqual([]);
    expect(rows(a.list('topic2')).map((r) => r.dot)).toEqual(['a:2']);
    // The connection stays indexed while it has a presence (Phoenix: still linked)...
    expect(rows(a.connectionPresences('conn')).map((r) => r.dot)).toEqual(['a:2']);
    a.untrack('topic2', 'me', 'conn');
    // ...and is gone after its last one (unlinked).
    expect(a.connectionPresences('conn')).toEqual([]);
    expect(windowOf(broadcast(a, b))).toEqual({
      replica: 'a',
      from: 2,
      to: 4,
      adds: [],
      removes: [1, 2],
    });
    expect(onlineList(b)).toEqual([]);
  });

  it('10. untrack from all topics', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'topic1', 'me', 'conn', {});
    trackOk(a, 'topic2', 'me', 'conn', {});
    trackOk(a, 'topic3', 'me', 'conn', {});
    trackOk(a, 'topic1', 'you', 'other', {});
    broadcast(a, b);
    const change = a.untrackConnection('conn');
    expect(changeOf(change).leaves.map((r) => `${r.topic}/${r.dot}`)).toEqual([
      'topic1/a:1',
      'topic2/a:2',
      'topic3/a:3',
    ]);
    expect(change.joins).toEqual([]);
    expect(a.connectionPresences('conn')).toEqual([]);
    expect(a.contextOf(a.self.ref)).toBe(7); // one counter per removal
    expect(rows(a.list('topic1')).map((r) => r.key)).toEqual(['you']);
    const w = a.takeDelta()!;
    const merged = b.mergeDelta(w);
    expect(changeOf(merged.change)).toEqual(changeOf(change));
    expect(onlineList(b)).toEqual(onlineList(a));
    expect(a.untrackConnection('conn')).toEqual(NO_CHANGE);
  });

  it('11. updating presence sends join/leave and phx_ref_prev', () => {
    const a = newState('a');
    const first = trackOk(a, 'topic', 'me', 'conn', { name: 'me' });
    const result = a.update('topic', 'me', 'conn', { name: 'me', status: 'away' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(changeOf(result.change)).toEqual({
      joins: [{ topic: 'topic', key: 'me', meta: { name: 'me', status: 'away' }, dot: 'a:2' }],
      leaves: [{ topic: 'topic', key: 'me', meta: { name: 'me' }, dot: 'a:1' }],
    });
    expect(wireMeta(result.change.leaves[0]!)).toEqual({ name: 'me', phx_ref: phxRef(first) });
    expect(wireMeta(result.change.joins[0]!)).toEqual({
      name: 'me',
      status: 'away',
      phx_ref: phxRef(result.presence),
      phx_ref_prev: phxRef(first),
    });
    expect(phxRef(result.presence)).not.toBe(phxRef(first));
    // One counter per update (Phoenix spends two: a leave tick and a join tick).
    expect(a.contextOf(a.self.ref)).toBe(2);
    expect(rows(a.get('topic', 'me')).map((r) => r.dot)).toEqual(['a:2']);
    expect(rows(a.connectionPresences('conn')).map((r) => r.dot)).toEqual(['a:2']);
    expect(windowOf(a.takeDelta()!)).toEqual({
      replica: 'a',
      from: 0,
      to: 2,
      adds: [2],
      removes: [1],
    });
    // An update keeps the presence's place among its key's presences.
    trackOk(a, 'topic', 'me', 'conn2', {});
    a.update('topic', 'me', 'conn', { name: 'me', status: 'busy' });
    expect(rows(a.get('topic', 'me')).map((r) => r.dot)).toEqual(['a:4', 'a:3']);
    expect(a.count('topic')).toBe(2);
  });

  it('12. updating presence with a function keeps unchanged fields', () => {
    // Ours: the core takes the new meta; an updater function is applied by the caller to the
    // current meta (the server layer's job), so this checks that the read and the update compose.
    const a = newState('a');
    trackOk(a, 'topic', 'me', 'conn', { name: 'me', status: 'online' });
    const [current] = a.get('topic', 'me');
    const result = a.update('topic', 'me', 'conn', { ...current!.meta, status: 'away' });
    expect(result.ok && result.presence.meta).toEqual({ name: 'me', status: 'away' });
  });

  it('13. updating with no prior presence', () => {
    const a = newState('a');
    expect(a.update('topic', 'me', 'conn', {})).toEqual({ ok: false, reason: 'no-presence' });
    expect(a.contextOf(a.self.ref)).toBe(0);
    expect(a.hasDelta()).toBe(false);
    expect(a.size).toBe(0);
  });

  it('14. duplicate tracking', () => {
    const a = newState('a');
    trackOk(a, 'topic', 'me', 'conn', { n: 1 });
    const before = observe(a);
    expect(a.track('topic', 'me', 'conn', { n: 2 })).toEqual({
      ok: false,
      reason: 'already-tracked',
    });
    expect(observe(a)).toEqual(before); // refused, not corrupted, no counter consumed
    trackOk(a, 'topic', 'you', 'conn', {}); // same connection, another key
    trackOk(a, 'another', 'me', 'conn', {}); // same connection, another topic
    trackOk(a, 'topic', 'me', 'conn2', {}); // another connection, same topic and key
    expect(a.count('topic')).toBe(3);
    expect(rows(a.get('topic', 'me')).map((r) => r.meta)).toEqual([{ n: 1 }, {}]);
    for (const [t, k, c] of [
      ['topic', 'me', 'conn'],
      ['topic', 'you', 'conn'],
      ['another', 'me', 'conn'],
      ['topic', 'me', 'conn2'],
    ] as const) {
      expect(a.untrack(t, k, c).leaves).toHaveLength(1);
    }
    expect(a.size).toBe(0);
    // Tracking it again after untracking is allowed.
    expect(a.track('topic', 'me', 'conn', {}).ok).toBe(true);
  });
});

describe('refs', () => {
  it('phx_ref is unique across replicas and restarts (vsn)', () => {
    const a1 = newState('a', undefined, 1);
    const a2 = newState('a', undefined, 2);
    const b = newState('b');
    const refs = [a1, a2, b].map((s) => phxRef(trackOk(s, 't', 'k', 'c', {})));
    expect(new Set(refs).size).toBe(3);
    expect(ref('a', 2)).toEqual(a2.self.ref);
  });
});
