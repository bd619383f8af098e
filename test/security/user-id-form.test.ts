/**
 * User ids are well-formed Unicode everywhere they enter (issue 21, finding 4): a token `sub` of
 * `"a\ud800"` was accepted, and the user showed on its own node only (a frame or a Redis key
 * carries it as UTF-8, where the lone surrogate becomes U+FFFD) while the last-seen write failed.
 * One rule (src/domain/user-id.ts) for the gateway (JWT `sub`, an app's `authenticate()`), the
 * graph adapters, changes from outside, delivery, the presence query and the last-seen stores.
 */
import { describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { decodeEdgeChange } from '../../graph-adapters/graphology/transport-change-relay.js';
import { assertUserId, isUserId, parseChange } from '../../graph-adapters/shared/index.js';
import { checkDelivery } from '../../src/delivery/delivery-input.js';
import { userIdProblem } from '../../src/domain/user-id.js';
import { InvalidInputError } from '../../src/errors.js';
import { MemoryLastSeenStore } from '../../src/last-seen/memory-last-seen-store.js';
import { refusal } from '../gateway/support/test-client.js';
import { startTestServer, tokenFor } from '../gateway/support/test-server.js';

const LONE = ['a\ud800', '\udc00', 'x\udbffy', 'a\ud800\ud800'];
const WELL_FORMED = ['a😀', 'é', '\u{10ffff}', 'a\u0000b'];

describe('the rule', () => {
  it.each(LONE)('refuses %j, naming what is wrong', (id) => {
    expect(userIdProblem(id)).toMatch(/well-formed Unicode.*lone surrogate/);
  });

  it.each(WELL_FORMED)('accepts %j (pairs are one character)', (id) => {
    expect(userIdProblem(id)).toBeUndefined();
    expect(Buffer.from(id, 'utf8').toString('utf8')).toBe(id);
  });
});

describe('the gateway', () => {
  it('refuses a token whose sub has a lone surrogate', async () => {
    const server = await startTestServer();
    try {
      for (const id of LONE) {
        expect(await refusal(server.url, { token: await tokenFor(id) })).toBe('unauthorized');
      }
      const accepted = await refusal(server.url, { token: await tokenFor('a😀') }).catch(
        (error: Error) => error.message,
      );
      expect(accepted).toBe('connection was accepted');
    } finally {
      await server.close();
    }
  });

  it("refuses an app's authenticate() that answers such a user id", async () => {
    const server = await startTestServer({ authenticate: () => ({ userId: 'a\ud800' }) });
    try {
      expect(await refusal(server.url, {})).toBe('unauthorized');
    } finally {
      await server.close();
    }
  });
});

describe('every other way in', () => {
  it('graph adapters and graph changes', async () => {
    const graph = new GraphologyFriendsGraph();
    try {
      await expect(graph.visibleTo('a\ud800')).rejects.toThrow(InvalidInputError);
      await expect(graph.addEdge('a\ud800', 'bob')).rejects.toThrow(/well-formed/);
      expect(() => assertUserId('a\ud800', 'test')).toThrow(/well-formed/);
      expect(isUserId('a\ud800')).toBe(false);
      expect(parseChange({ kind: 'edge-added', source: 'a\ud800', target: 'bob' }).ok).toBe(false);
      const frame = new TextEncoder().encode(
        JSON.stringify({ kind: 'edge-added', source: 'bob', target: 'a\ud800', directed: false }),
      );
      // UTF-8 on the wire: the lone surrogate arrives as U+FFFD, a different (valid) id.
      expect(decodeEdgeChange(frame)).not.toMatchObject({ target: 'a\ud800' });
    } finally {
      await graph.close();
    }
  });

  it('delivery, the presence query and the last-seen store', async () => {
    expect(() => checkDelivery('a\ud800', 'e', null, undefined, 1000)).toThrow(/well-formed/);
    const server = await startTestServer();
    try {
      await expect(server.server.query(['bob', 'a\ud800'])).rejects.toMatchObject({
        reason: 'invalid_user',
        message: expect.stringContaining('userIds[1]: a user id must be well-formed'),
      });
      await expect(server.server.query(['bob'], { as: '\udc00' })).rejects.toMatchObject({
        reason: 'invalid_user',
      });
    } finally {
      await server.close();
    }
    const store = new MemoryLastSeenStore();
    await expect(store.get(['a\ud800'])).rejects.toMatchObject({
      code: 'PRESENCE_INVALID_INPUT',
      message: expect.stringContaining('well-formed'),
    });
  });
});
