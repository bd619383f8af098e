/**
 * PresenceState.move: a presence changes topic (and meta) in one operation, as going invisible
 * moves a connection from `user:<id>` to `self:<id>` (src/gateway/session/invisibility.ts). Ours,
 * not Phoenix's: there it is an untrack and a track, two changes and two counters.
 */
import { describe, expect, it } from 'vitest';
import { type DeltaWindow, type PresenceChange, wireMeta } from '../../src/core/index.js';
import {
  changeOf,
  connectAll,
  newState,
  observe,
  onlineList,
  rows,
  sync,
  trackOk,
  windowOf,
} from '../support/core-fixtures.js';

describe('move', () => {
  it('is one change: a leave on the old topic and a join on the new, one counter', () => {
    const a = newState('a', { countedTopicPrefixes: ['user:'] });
    trackOk(a, 'user:me', 'me', 'conn', { status: 'online' });
    const result = a.move('user:me', 'me', 'conn', 'self:me', {
      status: 'online',
      invisible: true,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(changeOf(result.change)).toEqual({
      joins: [
        {
          topic: 'self:me',
          key: 'me',
          meta: { status: 'online', invisible: true },
          dot: 'a:2',
        },
      ],
      leaves: [{ topic: 'user:me', key: 'me', meta: { status: 'online' }, dot: 'a:1' }],
    });
    // Fresh on its topic, as if tracked there: no phx_ref_prev pointing to another topic.
    expect(wireMeta(result.presence)).not.toHaveProperty('phx_ref_prev');
    expect(a.contextOf(a.self.ref)).toBe(2);
    expect(a.get('user:me', 'me')).toEqual([]);
    expect(rows(a.get('self:me', 'me')).map((r) => r.dot)).toEqual(['a:2']);
    expect(rows(a.connectionPresences('conn')).map((r) => r.dot)).toEqual(['a:2']);
    expect(a.prefixCounts('user:')).toMatchObject({ presences: 0, topics: 0 });
    expect([a.size, a.topicCount]).toEqual([1, 1]);
    expect(windowOf(a.takeDelta()!)).toEqual({
      replica: 'a',
      from: 0,
      to: 2,
      adds: [2],
      removes: [1],
    });
  });

  it('reaches another replica as one change, never holding both or neither', () => {
    const a = newState('a');
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 'user:me', 'me', 'conn', { v: 1 });
    b.mergeDelta(a.takeDelta()!);
    a.move('user:me', 'me', 'conn', 'self:me', { v: 2 });
    const window: DeltaWindow = a.takeDelta()!;
    const merged = b.mergeDelta(window);
    expect(merged.status).toBe('applied');
    expect(changeOf(merged.change)).toEqual({
      joins: [{ topic: 'self:me', key: 'me', meta: { v: 2 }, dot: 'a:2' }],
      leaves: [{ topic: 'user:me', key: 'me', meta: { v: 1 }, dot: 'a:1' }],
    });
    expect(onlineList(b)).toEqual(onlineList(a));
    // A replica that missed the move gets it by transfer, and ends up the same.
    const c = newState('c');
    connectAll(a, c);
    sync(c, a);
    expect(onlineList(c)).toEqual(onlineList(a));
  });

  it('keeps its place among the connection’s presences', () => {
    const a = newState('a');
    trackOk(a, 'room', 'me', 'conn', {});
    trackOk(a, 'user:me', 'me', 'conn', {});
    trackOk(a, 'other', 'me', 'conn', {});
    a.move('user:me', 'me', 'conn', 'self:me', {});
    expect(a.connectionPresences('conn').map((p) => p.topic)).toEqual(['room', 'self:me', 'other']);
    const gone: PresenceChange = a.untrackConnection('conn');
    expect(gone.leaves).toHaveLength(3);
    expect(a.size).toBe(0);
  });

  it('refuses a presence that is not there, or a target already tracked, changing nothing', () => {
    const a = newState('a');
    expect(a.move('user:me', 'me', 'conn', 'self:me', {})).toEqual({
      ok: false,
      reason: 'no-presence',
    });
    trackOk(a, 'user:me', 'me', 'conn', {});
    trackOk(a, 'self:me', 'me', 'conn', {});
    const before = observe(a);
    expect(a.move('user:me', 'me', 'conn', 'self:me', { v: 1 })).toEqual({
      ok: false,
      reason: 'already-tracked',
    });
    expect(observe(a)).toEqual(before);
  });

  it('to the topic it is on is an update', () => {
    const a = newState('a');
    const first = trackOk(a, 'user:me', 'me', 'conn', { v: 1 });
    const result = a.move('user:me', 'me', 'conn', 'user:me', { v: 2 });
    expect(result.ok && result.presence.prev).toBe(first.counter);
  });
});
