/**
 * Reads from the topic index, through the state: `list`, `get`, `count`, `keyCount`,
 * `listByKey`, `size`, `topicCount` (Phoenix get_by_topic / get_by_key, and the
 * `{key: {metas}}` wire grouping of Phoenix.Presence). Only visible presences are indexed.
 */
import { describe, expect, it } from 'vitest';
import { type PresenceState, wireMeta } from '../../src/core/index.js';
import { broadcast, connectAll, newState, rows, trackOk } from '../support/core-fixtures.js';

const keys = (s: PresenceState, topic: string) => s.list(topic).map((p) => p.key);
const grouped = (s: PresenceState, topic: string) =>
  Object.fromEntries([...s.listByKey(topic)].map(([k, ps]) => [k, ps.map((p) => p.counter)]));

describe('topic index reads', () => {
  it('an unknown topic reads as empty', () => {
    const a = newState('a');
    expect(a.list('nope')).toEqual([]);
    expect(a.get('nope', 'k')).toEqual([]);
    expect(a.count('nope')).toBe(0);
    expect(a.keyCount('nope')).toBe(0);
    expect(a.listByKey('nope').size).toBe(0);
  });

  it('a topic grows from one key into a room and back', () => {
    const a = newState('a');
    trackOk(a, 'room', 'alice', 'c1', {}); // 1
    expect([a.count('room'), a.keyCount('room')]).toEqual([1, 1]);
    trackOk(a, 'room', 'alice', 'c2', {}); // 2: same key, second connection
    expect([a.count('room'), a.keyCount('room')]).toEqual([2, 1]);
    trackOk(a, 'room', 'bob', 'c3', {}); // 3: a second key makes it a room
    expect([a.count('room'), a.keyCount('room')]).toEqual([3, 2]);
    trackOk(a, 'room', 'carol', 'c4', {}); // 4
    expect(grouped(a, 'room')).toEqual({ alice: [1, 2], bob: [3], carol: [4] });
    expect(keys(a, 'room')).toEqual(['alice', 'alice', 'bob', 'carol']);

    a.untrack('room', 'bob', 'c3'); // 5
    expect([a.count('room'), a.keyCount('room')]).toEqual([3, 2]);
    expect(a.get('room', 'bob')).toEqual([]);
    a.untrack('room', 'alice', 'c1'); // 6
    a.untrack('room', 'alice', 'c2'); // 7
    // Back to one key.
    expect([a.count('room'), a.keyCount('room')]).toEqual([1, 1]);
    expect(grouped(a, 'room')).toEqual({ carol: [4] });
    expect(a.get('room', 'alice')).toEqual([]);
    expect(rows(a.get('room', 'carol')).map((r) => r.dot)).toEqual(['a:4']);
    // And into a room again.
    trackOk(a, 'room', 'dave', 'c5', {}); // 8
    trackOk(a, 'room', 'carol', 'c6', {}); // 9
    expect(grouped(a, 'room')).toEqual({ carol: [4, 9], dave: [8] });
    expect([a.count('room'), a.keyCount('room')]).toEqual([3, 2]);
    for (const [k, c] of [
      ['carol', 'c4'],
      ['dave', 'c5'],
      ['carol', 'c6'],
    ] as const) {
      a.untrack('room', k, c);
    }
    expect([a.count('room'), a.keyCount('room'), a.topicCount, a.size]).toEqual([0, 0, 0, 0]);
    expect(a.list('room')).toEqual([]);
  });

  it('orders by key in order of arrival, a key’s presences in tracking order', () => {
    const a = newState('a');
    trackOk(a, 't', 'k2', 'c1', {}); // 1
    trackOk(a, 't', 'k1', 'c2', {}); // 2
    trackOk(a, 't', 'k2', 'c3', {}); // 3
    expect(a.list('t').map((p) => [p.key, p.counter])).toEqual([
      ['k2', 1],
      ['k2', 3],
      ['k1', 2],
    ]);
    // An update keeps its place; an untrack and re-track goes to the end of its key.
    a.update('t', 'k2', 'c1', { v: 2 }); // 4
    expect(a.get('t', 'k2').map((p) => p.counter)).toEqual([4, 3]);
    a.untrack('t', 'k2', 'c1'); // 5
    trackOk(a, 't', 'k2', 'c1', {}); // 6
    expect(a.get('t', 'k2').map((p) => p.counter)).toEqual([3, 6]);
  });

  it('counts are per topic and totals across topics', () => {
    const a = newState('a');
    for (let i = 0; i < 5; i++) trackOk(a, `user:${i}`, `u${i}`, 'conn', {});
    trackOk(a, 'user:0', 'u0', 'conn2', {});
    expect(a.size).toBe(6);
    expect(a.topicCount).toBe(5);
    expect(a.count('user:0')).toBe(2);
    expect(a.keyCount('user:0')).toBe(1);
    a.untrackConnection('conn');
    expect(a.size).toBe(1);
    expect(a.topicCount).toBe(1);
    expect(rows(a.list('user:0')).map((r) => r.dot)).toEqual(['a:6']);
  });

  it('remote presences are indexed while their replica is up', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'room', 'alice', 'ca', {});
    trackOk(b, 'room', 'bob', 'cb', {});
    trackOk(b, 'room', 'alice', 'cb', {});
    broadcast(a, b);
    expect(grouped(b, 'room')).toEqual({ bob: [1], alice: [2, 1] });
    expect([b.count('room'), b.keyCount('room'), b.size]).toEqual([3, 2, 3]);
    b.replicaDown(a.self.ref);
    expect(grouped(b, 'room')).toEqual({ bob: [1], alice: [2] });
    expect([b.count('room'), b.keyCount('room'), b.size]).toEqual([2, 2, 2]);
    b.untrack('room', 'bob', 'cb');
    b.untrack('room', 'alice', 'cb');
    expect([b.count('room'), b.keyCount('room'), b.topicCount]).toEqual([0, 0, 0]);
    b.replicaUp(a.self.ref);
    expect(grouped(b, 'room')).toEqual({ alice: [1] });
    expect([b.count('room'), b.keyCount('room'), b.topicCount]).toEqual([1, 1, 1]);
  });

  it('__proto__, constructor and unicode topics and keys are ordinary', () => {
    const a = newState('a');
    const odd = ['__proto__', 'constructor', 'hasOwnProperty', 'ключ', '👩‍💻', '', 'a b'];
    for (const [i, s] of odd.entries()) trackOk(a, s, s, `c${i}`, { s });
    trackOk(a, '__proto__', 'toString', 'cx', {});
    for (const s of odd) {
      expect(a.get(s, s).map((p) => p.meta)).toEqual([{ s }]);
    }
    expect(a.keyCount('__proto__')).toBe(2);
    expect(a.count('__proto__')).toBe(2);
    expect([...a.listByKey('__proto__').keys()]).toEqual(['__proto__', 'toString']);
    expect(a.get('__proto__', 'constructor')).toEqual([]);
    expect(a.count('toString')).toBe(0);
    expect(a.topicCount).toBe(odd.length);
    // A meta field named __proto__ stays data on the wire, not a prototype.
    const meta = JSON.parse('{"__proto__": {"polluted": true}, "status": "online"}');
    const p = trackOk(a, 'room', 'k', 'c', meta);
    const wire = wireMeta(p);
    expect(Object.getPrototypeOf(wire)).toBe(Object.prototype);
    expect(Object.hasOwn(wire, '__proto__')).toBe(true);
    expect(wire.status).toBe('online');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('listByKey gives the wire’s {key: {metas}} grouping with phx_refs', () => {
    const a = newState('a');
    const p1 = trackOk(a, 'room', 'alice', 'c1', { device: 'web' });
    const p2 = trackOk(a, 'room', 'alice', 'c2', { device: 'ios' });
    const wire = Object.fromEntries(
      [...a.listByKey('room')].map(([k, ps]) => [k, { metas: ps.map(wireMeta) }]),
    );
    expect(wire).toEqual({
      alice: { metas: [wireMeta(p1), wireMeta(p2)] },
    });
    expect(wire.alice?.metas.map((m) => m.device)).toEqual(['web', 'ios']);
    expect(new Set(wire.alice?.metas.map((m) => m.phx_ref)).size).toBe(2);
  });
});
