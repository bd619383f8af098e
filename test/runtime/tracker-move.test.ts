/**
 * TrackerReplica.move: one `diff` event on the replica that moves, one on every replica it
 * reaches, each with the leave on the old topic and the join on the new (going invisible is one
 * tracker operation, src/gateway/session/invisibility.ts).
 */
import { describe, expect, it } from 'vitest';
import type { PresenceChange } from '../../src/core/index.js';
import { InvalidInputError } from '../../src/errors.js';
import type { Timers } from '../../src/ports/clock.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';

/** Frames are delivered at once and nothing ticks by itself: the test ticks by hand. */
function twoReplicas() {
  const bus = createInMemoryBus({ schedule: (deliver) => deliver() });
  const noTimers: Timers = { setTimeout: () => undefined, clearTimeout: () => {} };
  const [a, b] = ['a', 'b'].map((name) => {
    const replica = new TrackerReplica({
      name,
      transport: bus.createTransport(name),
      timers: noTimers,
    });
    replica.start();
    return replica;
  }) as [TrackerReplica, TrackerReplica];
  const diffs = (replica: TrackerReplica) => {
    const seen: string[] = [];
    replica.on('diff', (change: PresenceChange) => {
      const joins = change.joins.map((p) => `+${p.topic}`);
      const leaves = change.leaves.map((p) => `-${p.topic}`);
      seen.push([...joins, ...leaves].join(' '));
    });
    return seen;
  };
  return { a, b, diffs };
}

describe('TrackerReplica.move', () => {
  it('is one diff here and one diff on the other replica', () => {
    const { a, b, diffs } = twoReplicas();
    a.track('user:me', 'me', 'conn', { status: 'online' });
    a.tick();
    b.tick();
    expect(b.view.get('user:me', 'me')).toHaveLength(1);
    const here = diffs(a);
    const there = diffs(b);
    const result = a.move('user:me', 'me', 'conn', 'self:me', {
      status: 'online',
      invisible: true,
    });
    expect(result.ok).toBe(true);
    a.tick();
    expect(here).toEqual(['+self:me -user:me']);
    expect(there).toEqual(['+self:me -user:me']);
    expect(b.view.get('user:me', 'me')).toEqual([]);
    expect(b.view.get('self:me', 'me').map((p) => p.meta)).toEqual([
      { status: 'online', invisible: true },
    ]);
  });

  it('refuses a meta that cannot be replicated, and reports nothing when the move fails', () => {
    const { a, diffs } = twoReplicas();
    a.track('user:me', 'me', 'conn', {});
    const here = diffs(a);
    expect(() => a.move('user:me', 'me', 'conn', 'self:me', { at: new Date() })).toThrow(
      InvalidInputError,
    );
    expect(a.move('user:you', 'you', 'conn', 'self:you', {})).toEqual({
      ok: false,
      reason: 'no-presence',
    });
    expect(here).toEqual([]);
    expect(a.view.get('user:me', 'me')).toHaveLength(1);
  });
});
