/**
 * A meta is checked once, where it enters the replica (src/runtime/replicable-meta.ts): track,
 * update and move refuse what could not be replicated, and store a frozen copy, so a caller that
 * changes its object afterwards cannot put an unchecked meta into the state or into a frame (the
 * encoder no longer re-checks metas on every broadcast).
 */
import { describe, expect, it } from 'vitest';
import type { Meta } from '../../src/core/index.js';
import { InvalidInputError } from '../../src/errors.js';
import type { Timers } from '../../src/ports/clock.js';
import { replicableMeta } from '../../src/runtime/replicable-meta.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';

function twoReplicas() {
  const bus = createInMemoryBus({ schedule: (deliver) => deliver() });
  const noTimers: Timers = { setTimeout: () => undefined, clearTimeout: () => {} };
  return ['a', 'b'].map((name) => {
    const replica = new TrackerReplica({
      name,
      transport: bus.createTransport(name),
      timers: noTimers,
    });
    replica.start();
    return replica;
  }) as [TrackerReplica, TrackerReplica];
}

const UNREPLICABLE: [string, Meta, RegExp][] = [
  ['undefined', { a: undefined }, /meta\.a: undefined is not a JSON value/],
  ['a Date, nested', { a: { b: [1, new Date()] } }, /meta\.a\.b\[1\]: Date/],
  ['Infinity', { a: Number.POSITIVE_INFINITY }, /meta\.a: Infinity/],
  ['a Map', new Map() as unknown as Meta, /meta: expected a plain object, got Map/],
  ['too large', { big: 'x'.repeat(5000) }, /bytes of JSON, more than/],
];

describe('a meta is checked where it enters the replica', () => {
  it.each(UNREPLICABLE)('track, update and move refuse %s', (_, meta, problem) => {
    const [a] = twoReplicas();
    expect(() => a.track('user:x', 'x', 'c1', meta)).toThrow(InvalidInputError);
    expect(() => a.track('user:x', 'x', 'c1', meta)).toThrow(problem);
    a.track('user:me', 'me', 'c1', { status: 'online' });
    expect(() => a.update('user:me', 'me', 'c1', meta)).toThrow(problem);
    expect(() => a.move('user:me', 'me', 'c1', 'self:me', meta)).toThrow(problem);
    expect(a.view.get('user:me', 'me').map((p) => p.meta)).toEqual([{ status: 'online' }]);
    expect(a.view.get('user:x', 'x')).toEqual([]);
  });

  it('stores a frozen copy: changing the caller object later changes neither state nor frames', () => {
    const [a, b] = twoReplicas();
    const meta: Record<string, unknown> = { status: 'online', tags: ['a'] };
    a.track('user:me', 'me', 'c1', meta);
    meta['status'] = 'away';
    meta['when'] = new Date();
    (meta['tags'] as unknown[]).push(Number.NaN);
    const stored = a.view.get('user:me', 'me')[0]!.meta;
    expect(stored).toEqual({ status: 'online', tags: ['a'] });
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.isFrozen(stored['tags'])).toBe(true);
    a.tick();
    expect(b.view.get('user:me', 'me').map((p) => p.meta)).toEqual([
      { status: 'online', tags: ['a'] },
    ]);
  });

  it('checks what it stores: a getter is read once, and a cycle is refused, not followed', () => {
    let reads = 0;
    const tricky = {
      get status() {
        reads++;
        return reads === 1 ? 'online' : new Date();
      },
    } as Meta;
    expect(replicableMeta(tricky)).toEqual({ status: 'online' });
    expect(reads).toBe(1);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => replicableMeta(cycle)).toThrow(/nested deeper than 32/);
  });

  it('copies a __proto__ key as an own data property and keeps a null prototype', () => {
    const source = JSON.parse('{"__proto__": {"polluted": true}, "n": 1}') as Meta;
    const copy = replicableMeta(source);
    expect(Object.keys(copy)).toEqual(['__proto__', 'n']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as Record<string, unknown>)['polluted']).toBeUndefined();
    const bare = Object.assign(Object.create(null), { s: 'x' }) as Meta;
    expect(Object.getPrototypeOf(replicableMeta(bare))).toBe(null);
  });
});
