/**
 * Phoenix's clock tests (phoenix_pubsub `test/phoenix/tracker/clock_test.exs`), same clocks.
 * Contexts are Maps keyed by replica key; the Phoenix named clock `{name, clock}` is `NamedClock`.
 */
import { describe, expect, it } from 'vitest';
import {
  appendClock,
  type Context,
  dominates,
  type NamedClock,
  upperbound,
} from '../../src/core/index.js';
import { clockOf, connectAll, newState, trackOk } from '../support/core-fixtures.js';

const ctx = (o: Record<string, number>): Context => new Map(Object.entries(o));
const obj = (c: Context) => Object.fromEntries(c);
const named = (replica: string, o: Record<string, number>): NamedClock => ({
  replica,
  context: ctx(o),
});
const names = (set: readonly NamedClock[]) => set.map((c) => c.replica).sort();

describe('Phoenix clock_test', () => {
  const clock1 = ctx({ a: 1, b: 2, c: 3 });
  const clock2 = ctx({ b: 2, c: 3, d: 1 });
  const clock3 = ctx({ a: 1, b: 2 });

  it('1. dominates?', () => {
    expect(dominates(clock1, clock3)).toBe(true);
    expect(dominates(clock3, clock1)).toBe(false);
    expect(dominates(clock1, clock2)).toBe(false);
    expect(dominates(clock1, clock1)).toBe(true);
    expect(dominates(ctx({ a: 1, b: 3 }), ctx({ a: 1, b: 4 }))).toBe(false);
    expect(dominates(ctx({}), ctx({}))).toBe(true);
  });

  it('2. test the set trims', () => {
    const c1 = named('a', { a: 1, b: 2, c: 3 });
    const c2 = named('b', { b: 2, c: 3, d: 1 });
    const c3 = named('c', { a: 1, b: 2 });
    // The set's combined clock dominates c1 (although c1 dominates member c3): unchanged.
    expect(names(appendClock([c2, c3], c1))).toEqual(['b', 'c']);
    expect(names(appendClock([c1, c2], c3))).toEqual(['a', 'b']);
    expect(names(appendClock([c1, c2], c1))).toEqual(['a', 'b']);
    expect(names(appendClock([c1, c2], c2))).toEqual(['a', 'b']);
    // A concurrent clock is added.
    expect(names(appendClock([c1, c3], c2))).toEqual(['a', 'b', 'c']);
    // A clock dominating every member replaces them all.
    expect(names(appendClock([c2, c3], named('d', { a: 2, b: 2, c: 3, d: 1 })))).toEqual(['d']);
    // The input set is never mutated.
    const set = [c1, c3];
    appendClock(set, c2);
    expect(names(set)).toEqual(['a', 'c']);
  });

  it('2b. append_clock ignores empty clocks', () => {
    // Phoenix's first clause: an empty clock says nothing and is never worth a transfer request.
    expect(appendClock([], named('a', {}))).toEqual([]);
    const c1 = named('a', { a: 1 });
    expect(appendClock([c1], named('b', {}))).toEqual([c1]);
  });

  it('3. upperbound', () => {
    expect(obj(upperbound(ctx({ a: 1, b: 2, c: 2 }), ctx({ a: 3, b: 1, d: 2 })))).toEqual({
      a: 3,
      b: 2,
      c: 2,
      d: 2,
    });
    expect(obj(upperbound(ctx({}), ctx({ a: 3, b: 1, d: 2 })))).toEqual({ a: 3, b: 1, d: 2 });
    expect(obj(upperbound(ctx({ a: 3, b: 1, d: 2 }), ctx({})))).toEqual({ a: 3, b: 1, d: 2 });
  });

  // 4 (lowerbound) and 5 (filter replicas), and dominates_or_equal?, test Phoenix helpers this
  // tracker has no use for: not ported.

  it('6. replicas', () => {
    // Ours: a context is a Map, its replicas are its keys; the state's clock lists the replicas
    // it knows and sees up (itself first), each at its contiguous counter.
    const a = newState('a');
    expect(clockOf(a)).toEqual({ a: 0 });
    const b = newState('b');
    connectAll(a, b);
    trackOk(a, 't', 'k', 'c', {});
    expect([...a.clock().keys()]).toEqual(['a#1', 'b#1']);
    expect(clockOf(a)).toEqual({ a: 1, b: 0 });
  });
});
