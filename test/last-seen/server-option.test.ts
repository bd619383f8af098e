/**
 * createPresenceServer's `lastSeen` option: kept on the server as given, checked, left open; by
 * default a memory store of the server's own (as the CLI without --redis), closed with it;
 * `false` for none, and webhooks without one say so at start.
 */
import { describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createPresenceServer, MemoryLastSeenStore } from '../../src/index.js';
import { silentLogger } from '../../src/ports/logger.js';

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

  it('defaults to a memory store of its own, closed at close', async () => {
    const server = createPresenceServer({ graph, jwtSecret: SECRET });
    const store = server.lastSeenStore;
    expect(store).toBeInstanceOf(MemoryLastSeenStore);
    await store?.record('alice', 1);
    await server.close();
    await expect(store?.record('alice', 2)).rejects.toThrow();
  });

  it('has none with lastSeen: false, and webhooks without one warn at start', async () => {
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_fields: object, message: string) => warnings.push(message),
    };
    const server = createPresenceServer({
      graph,
      jwtSecret: SECRET,
      lastSeen: false,
      webhooks: { url: 'http://127.0.0.1:9/hooks', secret: 'webhook-secret-of-32-bytes-long!!!' },
      logger,
    });
    expect(server.lastSeenStore).toBeUndefined();
    expect(warnings.some((w) => /webhooks without a last-seen store/.test(w))).toBe(true);
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
