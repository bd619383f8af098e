/**
 * The SDK's last seen: an `offline` carries the server's value whether it came just before the
 * leave's diff or just after; without one it goes out as null after the wait; a join forgets a
 * stale value and never lets a late offline follow it.
 */
import { describe, expect, it } from 'vitest';
import { isLastSeenMap, LastSeenBook } from '../../src/client/last-seen-book.js';
import { ManualClock } from '../support/manual-clock.js';

function book() {
  const clock = new ManualClock();
  const events: string[] = [];
  const lastSeen = new LastSeenBook(2_000, clock, {
    offline: (user, at) => events.push(`offline ${user} ${at}`),
    heard: (user, at) => events.push(`heard ${user} ${at}`),
  });
  return { clock, events, lastSeen };
}

describe('LastSeenBook', () => {
  it('gives the offline the value that comes after the leave', () => {
    const { clock, events, lastSeen } = book();
    lastSeen.lastLeave('ann');
    clock.advance(500);
    expect(events).toEqual([]);
    lastSeen.heard({ ann: 1234 });
    expect(events).toEqual(['heard ann 1234', 'offline ann 1234']);
    clock.advance(5_000);
    expect(events).toHaveLength(2);
  });

  it('gives the offline the value that came before the leave', () => {
    const { events, lastSeen } = book();
    lastSeen.heard({ ann: 99 });
    lastSeen.lastLeave('ann');
    expect(events).toEqual(['heard ann 99', 'offline ann 99']);
    expect(lastSeen.of('ann')).toBe(99);
  });

  it('emits the offline with null when nothing comes in time', () => {
    const { clock, events, lastSeen } = book();
    lastSeen.lastLeave('ann');
    clock.advance(2_000);
    expect(events).toEqual(['offline ann null']);
    lastSeen.heard({ ann: 5 });
    expect(events).toEqual(['offline ann null', 'heard ann 5']);
  });

  it('lets a join flush a waiting offline first and forget the stale value', () => {
    const { clock, events, lastSeen } = book();
    lastSeen.heard({ bob: 1 });
    lastSeen.firstJoin('bob');
    expect(lastSeen.of('bob')).toBeUndefined();
    lastSeen.lastLeave('ann');
    lastSeen.firstJoin('ann');
    expect(events).toEqual(['heard bob 1', 'offline ann null']);
    clock.advance(10_000);
    expect(events).toHaveLength(2);
  });

  it('drops waits on clear without emitting', () => {
    const { clock, events, lastSeen } = book();
    lastSeen.lastLeave('ann');
    lastSeen.clear();
    clock.advance(10_000);
    expect(events).toEqual([]);
  });

  it('reads only maps of numbers and nulls', () => {
    expect(isLastSeenMap({ a: 1, b: null })).toBe(true);
    expect(isLastSeenMap({})).toBe(true);
    for (const bad of [null, [], 'x', { a: '1' }, { a: Number.NaN }, { a: {} }]) {
      expect(isLastSeenMap(bad)).toBe(false);
    }
  });
});
