/**
 * LeaveGrace on a bare tracker replica and a manual clock: which drops get a grace, one timer for
 * the whole queue, expiry in order, a takeover, a fresh track of the device ending the grace
 * (after every consumer of the change router saw the join), and close() ending everything at once.
 */
import { describe, expect, it } from 'vitest';
import { ChangeRouter } from '../../src/change-router/change-router.js';
import type { RoutedChange } from '../../src/change-router/routed-change.js';
import { LeaveGrace } from '../../src/gateway/session/leave-grace.js';
import { silentLogger } from '../../src/ports/logger.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { ManualClock } from '../support/manual-clock.js';

function setUp(graceMs = 1_000) {
  const replica = new TrackerReplica({
    name: 'n',
    transport: createInMemoryBus().createTransport('n'),
  });
  const clock = new ManualClock();
  const changes = new ChangeRouter(replica, silentLogger);
  const grace = new LeaveGrace(replica, changes, graceMs, clock, silentLogger);
  const track = (conn: string, device: string | undefined, topic = 'user:alice') =>
    replica.track(topic, 'alice', conn, device === undefined ? { status: 'x' } : { device });
  const conns = () =>
    [...replica.view.get('user:alice', 'alice'), ...replica.view.get('self:alice', 'alice')]
      .map((p) => String(p.meta['device']))
      .sort();
  return { replica, changes, clock, grace, track, conns };
}

describe('LeaveGrace', () => {
  it('graces visible drops only, and only when no other connection shows that device', () => {
    const { grace, track } = setUp();
    track('c1', 'phone');
    track('c2', 'laptop', 'self:alice');
    track('c3', 'tablet');
    track('c4', 'tablet');
    expect(grace.hold('alice', 'c2')).toBe(false); // invisible
    expect(grace.hold('alice', 'c3')).toBe(false); // c4 shows the tablet
    expect(grace.hold('alice', 'nope')).toBe(false); // not tracked
    expect(grace.hold('alice', 'c1')).toBe(true);
    expect(grace.hold('alice', 'c1')).toBe(false); // already graced
    expect(grace.stats()).toEqual({ graced: 1, resumed: 0, expired: 0 });
    const off = setUp(0);
    off.track('c1', 'phone');
    expect(off.grace.hold('alice', 'c1')).toBe(false);
  });

  it('one timer for the queue; graces run out in order, each after its full length', () => {
    const { grace, clock, track, conns } = setUp(1_000);
    for (const [conn, device] of [
      ['c1', 'd1'],
      ['c2', 'd2'],
      ['c3', 'd3'],
    ] as const) {
      track(conn, device);
      expect(grace.hold('alice', conn)).toBe(true);
      clock.advance(400);
    }
    // t = 1200: c1 (due 1000) is gone, c2 (1400) and c3 (1800) remain, one timer armed.
    expect(conns()).toEqual(['d2', 'd3']);
    expect(clock.pending).toBe(1);
    clock.advance(199);
    expect(conns()).toEqual(['d2', 'd3']);
    clock.advance(1);
    expect(conns()).toEqual(['d3']);
    clock.advance(400);
    expect(conns()).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(grace.stats()).toEqual({ graced: 0, resumed: 0, expired: 3 });
  });

  it('claim takes the oldest graced entry of the device over; supersede ends the rest', () => {
    const { grace, clock, track, conns } = setUp();
    track('c1', 'phone');
    track('c2', 'laptop');
    grace.hold('alice', 'c1');
    grace.hold('alice', 'c2');
    expect(grace.claim('alice', 'tablet')).toBeUndefined();
    expect(grace.claim('alice', 'phone')).toBe('c1');
    expect(grace.claim('alice', 'phone')).toBeUndefined();
    expect(grace.stats()).toEqual({ graced: 1, resumed: 1, expired: 0 });
    grace.supersede('alice', 'laptop');
    expect(conns()).toEqual(['phone']); // c1 is the claimer's now: never expires here
    clock.advance(10_000);
    expect(conns()).toEqual(['phone']);
    expect(grace.stats()).toEqual({ graced: 0, resumed: 2, expired: 0 });
  });

  it('a fresh track of the device ends its grace after every consumer saw the join', () => {
    const { replica, changes, grace, track, conns } = setUp();
    track('c1', 'phone');
    grace.hold('alice', 'c1');
    // One consumer before the leave grace in the router's order, one after it.
    const seen: Record<'fanOut' | 'metrics', string[]> = { fanOut: [], metrics: [] };
    for (const slot of ['fanOut', 'metrics'] as const) {
      changes.attach(slot, {
        changed: ({ change }: RoutedChange) => {
          for (const p of change.joins) seen[slot].push(`join ${String(p.meta['device'])}`);
          for (const p of change.leaves) seen[slot].push(`leave ${String(p.meta['device'])}`);
        },
      });
    }
    // An update of another presence is no reconnect.
    track('c2', 'laptop');
    replica.update('user:alice', 'alice', 'c2', { device: 'phone' });
    expect(conns()).toEqual(['phone', 'phone']);
    const before = seen.metrics.length;
    track('c3', 'phone', 'self:alice');
    // The leave is a change of its own, dispatched once every consumer saw the join.
    expect(seen.fanOut.slice(before)).toEqual(['join phone', 'leave phone']);
    expect(seen.metrics.slice(before)).toEqual(['join phone', 'leave phone']);
    expect(conns()).toEqual(['phone', 'phone']); // c2 (updated) and c3 (invisible)
    expect(grace.stats()).toEqual({ graced: 0, resumed: 1, expired: 0 });
  });

  it('close() untracks every graced entry at once and stops the timer', () => {
    const { grace, clock, track, conns } = setUp();
    track('c1', 'phone');
    track('c2', undefined);
    grace.hold('alice', 'c1');
    grace.hold('alice', 'c2');
    grace.close();
    expect(conns()).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(grace.stats()).toEqual({ graced: 0, resumed: 0, expired: 0 });
  });
});
