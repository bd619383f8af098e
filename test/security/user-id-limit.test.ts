/**
 * One user-id limit everywhere, in one unit (UTF-8 bytes): tokens at the gateway, the graph
 * adapters, changes from outside (webhooks, NOTIFY, pub/sub, the cluster's graph relay), delivery
 * and the demo's token route all accept 256 bytes and refuse 257, whatever the characters.
 */
import { describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { decodeEdgeChange } from '../../graph-adapters/graphology/transport-change-relay.js';
import { assertUserId, isUserId, parseChange } from '../../graph-adapters/shared/index.js';
import { checkDelivery } from '../../src/delivery/delivery-input.js';
import { MAX_USER_ID_BYTES, userIdProblem } from '../../src/domain/user-id.js';
import { InvalidInputError } from '../../src/errors.js';
import { refusal } from '../gateway/support/test-client.js';
import { startTestServer, tokenFor } from '../gateway/support/test-server.js';

/** 256 bytes of UTF-8 in 128 characters: within any character limit of 256. */
const LONGEST = 'é'.repeat(128);
/** 129 characters, 258 bytes. */
const TOO_LONG_FEW_CHARS = 'é'.repeat(129);
const TOO_LONG_ASCII = 'u'.repeat(257);

describe('the limit', () => {
  it('is 256 bytes of UTF-8', () => {
    expect(MAX_USER_ID_BYTES).toBe(256);
    expect(userIdProblem('u'.repeat(256))).toBeUndefined();
    expect(userIdProblem(LONGEST)).toBeUndefined();
    expect(userIdProblem(TOO_LONG_ASCII)).toContain('256 bytes');
    expect(userIdProblem(TOO_LONG_FEW_CHARS)).toContain('256 bytes');
    expect(userIdProblem('')).toBeDefined();
    expect(userIdProblem(7)).toBeDefined();
  });
});

describe('graph adapters refuse ids over the limit', () => {
  it.each([
    ['257 ASCII characters', TOO_LONG_ASCII],
    ['129 two-byte characters', TOO_LONG_FEW_CHARS],
    ['1000 characters', 'u'.repeat(1000)],
  ])('%s', async (_name, id) => {
    const graph = new GraphologyFriendsGraph();
    try {
      await expect(graph.visibleTo(id)).rejects.toThrow(InvalidInputError);
      await expect(graph.addEdge(id, 'bob')).rejects.toThrow(InvalidInputError);
      expect(() => assertUserId(id, 'test')).toThrow(/256 bytes/);
      expect(isUserId(id)).toBe(false);
      expect(parseChange({ kind: 'edge-added', source: id, target: 'bob' }).ok).toBe(false);
      expect(parseChange({ kind: 'visibility-changed', viewers: [id] }).ok).toBe(false);
    } finally {
      await graph.close();
    }
  });

  it('and accept ids at the limit', async () => {
    const graph = new GraphologyFriendsGraph();
    try {
      await graph.addEdge(LONGEST, 'bob');
      expect(await graph.visibleTo(LONGEST)).toEqual(['bob']);
      expect(parseChange({ kind: 'edge-added', source: LONGEST, target: 'bob' }).ok).toBe(true);
    } finally {
      await graph.close();
    }
  });
});

describe('the cluster graph relay and delivery use the same limit', () => {
  const frame = (source: string) =>
    new TextEncoder().encode(
      JSON.stringify({ kind: 'edge-added', source, target: 'bob', directed: false }),
    );

  it('relay', () => {
    expect(typeof decodeEdgeChange(frame(LONGEST))).toBe('object');
    expect(typeof decodeEdgeChange(frame(TOO_LONG_FEW_CHARS))).toBe('string');
    expect(typeof decodeEdgeChange(frame(TOO_LONG_ASCII))).toBe('string');
  });

  it('delivery', () => {
    expect(() => checkDelivery(LONGEST, 'e', null, undefined, 1000)).not.toThrow();
    expect(() => checkDelivery(TOO_LONG_FEW_CHARS, 'e', null, undefined, 1000)).toThrow(
      /256 bytes/,
    );
  });
});

describe('the gateway refuses a token whose sub is over the limit', () => {
  it('as unauthorized, and accepts one at the limit', async () => {
    const server = await startTestServer();
    try {
      const refused = await refusal(server.url, { token: await tokenFor(TOO_LONG_FEW_CHARS) });
      expect(refused).toBe('unauthorized');
      const accepted = await refusal(server.url, { token: await tokenFor(LONGEST) }).catch(
        (error: Error) => error.message,
      );
      expect(accepted).toBe('connection was accepted');
    } finally {
      await server.close();
    }
  });
});
