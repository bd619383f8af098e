import { describe, expect, it } from 'vitest';
import { rendezvousOwner } from '../../src/user-online/rendezvous-owner.js';

const users = Array.from({ length: 3_000 }, (_, i) => `user-${i}`);

describe('rendezvousOwner', () => {
  it('picks the same owner whatever the order of the nodes', () => {
    for (const user of users.slice(0, 200)) {
      expect(rendezvousOwner(user, ['a', 'b', 'c'])).toBe(rendezvousOwner(user, ['c', 'a', 'b']));
    }
  });

  it('spreads users over the nodes', () => {
    const owned = new Map<string, number>();
    for (const user of users) {
      const owner = rendezvousOwner(user, ['a', 'b', 'c'])!;
      owned.set(owner, (owned.get(owner) ?? 0) + 1);
    }
    for (const node of ['a', 'b', 'c']) expect(owned.get(node)).toBeGreaterThan(800);
  });

  it('moves only the users of a node that leaves', () => {
    for (const user of users) {
      const before = rendezvousOwner(user, ['a', 'b', 'c']);
      const after = rendezvousOwner(user, ['a', 'c']);
      if (before !== 'b') expect(after).toBe(before);
    }
  });

  it('has no owner among no nodes', () => {
    expect(rendezvousOwner('ann', [])).toBeUndefined();
  });
});
