/** createPresenceServer's `lastSeen` option: kept on the server as given, checked, left open. */
import { describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createPresenceServer, MemoryLastSeenStore } from '../../src/index.js';

const SECRET = 'last-seen-option-secret-of-32-bytes!!';

describe('createPresenceServer({ lastSeen })', () => {
  const graph = new GraphologyFriendsGraph();

  it('keeps the given store as lastSeenStore and leaves it open at close', async () => {
    const lastSeen = new MemoryLastSeenStore();
    const server = createPresenceServer({ graph, jwtSecret: SECRET, lastSeen });
    expect(server.lastSeenStore).toBe(lastSeen);
    await server.close();
    await lastSeen.record('alice', 1);
    expect((await lastSeen.get(['alice'])).get('alice')?.lastSeen).toBe(1);
  });

  it('has none unless given', async () => {
    const server = createPresenceServer({ graph, jwtSecret: SECRET });
    expect(server.lastSeenStore).toBeUndefined();
    await server.close();
  });

  it('refuses what is not a store', () => {
    for (const lastSeen of [null, {}, { record: () => {} }, 'memory']) {
      expect(() =>
        createPresenceServer({ graph, jwtSecret: SECRET, lastSeen: lastSeen as never }),
      ).toThrow(InvalidOptionError);
    }
  });
});
