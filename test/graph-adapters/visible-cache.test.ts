/** The HTTP adapter's bounded cache, on a fake clock, and the port's affected-viewers rule. */
import { describe, expect, it } from 'vitest';
import { VisibleCache } from '../../graph-adapters/http/index.js';
import { viewersAffectedBy } from '../../src/ports/friends-graph.js';

describe('VisibleCache', () => {
  it('expires entries after the TTL', () => {
    let now = 1_000;
    const cache = new VisibleCache({ ttlMs: 100 }, () => now);
    cache.set('alice', ['bob']);
    now += 99;
    expect(cache.get('alice')).toEqual(['bob']);
    now += 1;
    expect(cache.get('alice')).toBeUndefined();
  });

  it('evicts the least recently used entry past maxEntries', () => {
    const cache = new VisibleCache({ maxEntries: 2 }, () => 0);
    cache.set('a', []);
    cache.set('b', []);
    cache.get('a');
    cache.set('c', []);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual([]);
    expect(cache.size).toBe(2);
  });
});

describe('viewersAffectedBy', () => {
  it('names both users of an undirected edge, only the source of a directed one', () => {
    expect(
      viewersAffectedBy({ kind: 'edge-added', source: 'a', target: 'b', directed: false }),
    ).toEqual(['a', 'b']);
    expect(
      viewersAffectedBy({ kind: 'edge-removed', source: 'a', target: 'b', directed: true }),
    ).toEqual(['a']);
    expect(viewersAffectedBy({ kind: 'visibility-changed', viewers: ['c'] })).toEqual(['c']);
    expect(viewersAffectedBy({ kind: 'reset' })).toBe('everyone');
  });
});
