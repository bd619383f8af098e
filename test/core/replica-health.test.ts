/**
 * Phoenix's replica tests (phoenix_pubsub `test/phoenix/tracker/replica_test.exs`), plus the
 * lifecycle transitions the Phoenix shard derived from it (`shard_replication_test.exs`). Time is
 * an argument (ms); the down interval is 5 and the permdown interval 10, as in Phoenix's test.
 */
import { describe, expect, it } from 'vitest';
import { ReplicaHealth, replicaKey, replicaTag, sameReplica } from '../../src/core/index.js';
import { ref } from '../support/core-fixtures.js';

const DOWN = 5;
const PERMDOWN = 10;

describe('Phoenix replica_test', () => {
  it('1. new/1 returns a new Replica with unique vsn', () => {
    // Ours: the core makes no ids (no randomness); the caller picks the vsn at process start.
    // What the core guarantees: the same name with another vsn is another replica.
    const first = ref('node1', 1);
    const restarted = ref('node1', 2);
    expect(sameReplica(first, restarted)).toBe(false);
    expect(replicaKey(first)).not.toBe(replicaKey(restarted));
    expect(replicaTag(first)).not.toBe(replicaTag(restarted));
    expect(sameReplica(first, ref('node1', 1))).toBe(true);
  });

  it('2. ref/1 returns a tuple of {name, vsn}', () => {
    const r = ref('node1', 1732);
    expect(replicaKey(r)).toBe('node1#1732');
    // A name containing '#' still gives a distinct key (the vsn follows the last '#').
    expect(replicaKey(ref('a#1', 2))).not.toBe(replicaKey(ref('a', 12)));
    expect(replicaTag(r)).toMatch(/^[0-9a-z]{7}$/);
  });

  it('3. put_heartbeat/2 with no previously tracked name', () => {
    const health = new ReplicaHealth();
    const r = ref('node1');
    expect(health.heard(r, 100)).toEqual({
      previous: undefined,
      record: { ref: r, status: 'up', lastHeardAt: 100 },
      transitions: [{ type: 'up', ref: r }],
      stale: false,
    });
    expect(health.get('node1')).toEqual({ ref: r, status: 'up', lastHeardAt: 100 });
  });

  it('4. put_heartbeat/2 with previously tracked name', () => {
    const health = new ReplicaHealth();
    const r = ref('node1');
    health.heard(r, 100);
    // Previous status up: returned; the new record keeps name and vsn, refreshed; no transition.
    expect(health.heard(r, 103)).toEqual({
      previous: { ref: r, status: 'up', lastHeardAt: 100 },
      record: { ref: r, status: 'up', lastHeardAt: 103 },
      transitions: [],
      stale: false,
    });
    // Previous status down: up again, same vsn.
    expect(health.detectDowns(109, DOWN, PERMDOWN)).toEqual([{ type: 'down', ref: r }]);
    expect(health.heard(r, 110)).toEqual({
      previous: { ref: r, status: 'down', lastHeardAt: 103 },
      record: { ref: r, status: 'up', lastHeardAt: 110 },
      transitions: [{ type: 'up', ref: r }],
      stale: false,
    });
  });

  it('5. detect_down/4 with temporarily downed node', () => {
    const health = new ReplicaHealth();
    const r = ref('node1');
    health.heard(r, 0);
    expect(health.detectDowns(DOWN, DOWN, PERMDOWN)).toEqual([]); // not above the interval yet
    expect(health.detectDowns(DOWN + 1, DOWN, PERMDOWN)).toEqual([{ type: 'down', ref: r }]);
    expect(health.get('node1')).toEqual({ ref: r, status: 'down', lastHeardAt: 0 });
    expect(health.detectDowns(PERMDOWN, DOWN, PERMDOWN)).toEqual([]); // reported once
    expect(health.counts()).toEqual({ up: 0, down: 1 });
  });

  it('6. detect_down/4 with permanently downed node removes from replicas map', () => {
    const health = new ReplicaHealth();
    const r = ref('node1');
    health.heard(r, 0);
    // Silent past both intervals at once: down, then permdown, in that order.
    expect(health.detectDowns(PERMDOWN + 1, DOWN, PERMDOWN)).toEqual([
      { type: 'down', ref: r },
      { type: 'permdown', ref: r },
    ]);
    expect(health.get('node1')).toBeUndefined();
    expect(health.all()).toEqual([]);
    // Already down: only the permdown.
    const s = ref('node2');
    health.heard(s, 20);
    health.detectDowns(26, DOWN, PERMDOWN);
    expect(health.detectDowns(31, DOWN, PERMDOWN)).toEqual([{ type: 'permdown', ref: s }]);
    expect(health.counts()).toEqual({ up: 0, down: 0 });
  });

  it('7. detect_down/4 with up node', () => {
    const health = new ReplicaHealth();
    const r = ref('node1');
    health.heard(r, 50);
    const before = health.all();
    expect(health.detectDowns(50, DOWN, PERMDOWN)).toEqual([]);
    expect(health.all()).toEqual(before);
    expect(health.counts()).toEqual({ up: 1, down: 0 });
  });
});

describe('replica lifecycle (Phoenix shard_replication_test)', () => {
  it('4/5. a heartbeat with a new vsn retires the old incarnation and brings up the new one', () => {
    const health = new ReplicaHealth();
    const old = ref('node1', 1);
    const fresh = ref('node1', 2);
    health.heard(old, 0);
    expect(health.heard(fresh, 3).transitions).toEqual([
      { type: 'down', ref: old },
      { type: 'permdown', ref: old },
      { type: 'up', ref: fresh },
    ]);
    expect(health.get('node1')).toEqual({ ref: fresh, status: 'up', lastHeardAt: 3 });
    // An old incarnation that was already down is only permdowned.
    health.detectDowns(9, DOWN, PERMDOWN);
    const third = ref('node1', 3);
    expect(health.heard(third, 10).transitions).toEqual([
      { type: 'permdown', ref: fresh },
      { type: 'up', ref: third },
    ]);
  });

  it('15. graceful exits with permdown', () => {
    const health = new ReplicaHealth();
    const r = ref('node1');
    const other = ref('node2');
    health.heard(r, 0);
    health.heard(other, 0);
    expect(health.leave(ref('node1', 99), 0)).toEqual([]); // another incarnation: ignored
    expect(health.leave(r, 0)).toEqual([
      { type: 'down', ref: r },
      { type: 'permdown', ref: r },
    ]);
    expect(health.all().map((rec) => rec.ref)).toEqual([other]);
    expect(health.leave(r, 0)).toEqual([]);
  });

  it('silence while our own link was down says nothing about the others', () => {
    // Ours (docs/architecture.md, "Replication"): detection restarts when the link returns.
    const health = new ReplicaHealth();
    const r = ref('node1');
    health.heard(r, 0);
    health.restartSilence(100);
    expect(health.detectDowns(100 + DOWN, DOWN, PERMDOWN)).toEqual([]);
    expect(health.detectDowns(100 + DOWN + 1, DOWN, PERMDOWN)).toEqual([{ type: 'down', ref: r }]);
  });
});

describe('incarnations are ordered by vsn', () => {
  it('a late message from an older incarnation changes nothing', () => {
    const health = new ReplicaHealth();
    const old = { name: 'n1', vsn: 1 };
    const fresh = { name: 'n1', vsn: 2 };
    health.heard(old, 0);
    expect(health.heard(fresh, 10).transitions.map((t) => t.type)).toEqual([
      'down',
      'permdown',
      'up',
    ]);
    const late = health.heard(old, 20);
    expect(late.stale).toBe(true);
    expect(late.transitions).toEqual([]);
    expect(health.get('n1')?.ref).toEqual(fresh);
  });

  it('a retired incarnation stays retired after its record is gone', () => {
    const health = new ReplicaHealth();
    const old = { name: 'n1', vsn: 5 };
    health.heard(old, 0);
    expect(health.leave(old, 5).map((t) => t.type)).toEqual(['down', 'permdown']);
    expect(health.heard(old, 10)).toMatchObject({ stale: true, transitions: [] });
    expect(health.heard({ name: 'n1', vsn: 6 }, 20)).toMatchObject({
      stale: false,
      transitions: [{ type: 'up' }],
    });
  });
});
