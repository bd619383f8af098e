/**
 * Finding 7 of issue 11: a captured graph-change webhook could be sent again within the 300 s
 * timestamp tolerance and was applied again, although the docs promise no replays. Someone who
 * recorded an old "edge-added" delivery could replay it after the edge was removed and make a
 * non-friend visible again. A delivery already accepted is now refused with 409.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HttpFriendsGraph,
  SIGNATURE_HEADER,
  signWebhookBody,
} from '../../graph-adapters/http/index.js';
import { WebhookReplayGuard } from '../../graph-adapters/http/webhook-replay-guard.js';
import { recordChanges } from '../contracts/change-recorder.js';

const SECRET = 'webhook-replay-test-secret';

describe('graph-change webhook replays', () => {
  let server: Server;
  let url: string;
  let adapter: HttpFriendsGraph;

  beforeEach(async () => {
    adapter = new HttpFriendsGraph({ baseUrl: 'http://127.0.0.1:9', webhookSecret: SECRET });
    server = createServer(adapter.webhookHandler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graph-webhook`;
  });

  afterEach(async () => {
    await adapter.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = async (body: string, signature: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { [SIGNATURE_HEADER]: signature },
      body,
    });
    const text = await response.text();
    return { status: response.status, code: text ? JSON.parse(text).error.code : undefined };
  };

  it('refuses a captured delivery sent again within the tolerance, and applies it once', async () => {
    const recorder = recordChanges(adapter);
    const added = JSON.stringify({
      changes: [{ kind: 'edge-added', source: 'alice', target: 'mallory', directed: false }],
    });
    const signature = signWebhookBody(SECRET, added);
    expect(await post(added, signature)).toEqual({ status: 204, code: undefined });
    const removed = JSON.stringify({
      changes: [{ kind: 'edge-removed', source: 'alice', target: 'mallory', directed: false }],
    });
    expect(await post(removed, signWebhookBody(SECRET, removed))).toMatchObject({ status: 204 });

    // The attacker replays the captured "added" delivery, byte for byte.
    expect(await post(added, signature)).toEqual({
      status: 409,
      code: 'PRESENCE_GRAPH_WEBHOOK_REPLAY',
    });
    expect(recorder.changes.map((change) => change.kind)).toEqual(['edge-added', 'edge-removed']);
  });

  it('accepts the same changes again as a new delivery (a different id in the body)', async () => {
    const recorder = recordChanges(adapter);
    for (const id of ['d1', 'd2']) {
      const body = JSON.stringify({ id, changes: [{ kind: 'reset' }] });
      expect(await post(body, signWebhookBody(SECRET, body))).toMatchObject({ status: 204 });
    }
    expect(recorder.changes).toEqual([{ kind: 'reset' }, { kind: 'reset' }]);
  });
});

describe('WebhookReplayGuard', () => {
  it('forgets a delivery once its timestamp is out of the tolerance, and stays bounded', () => {
    const guard = new WebhookReplayGuard({ toleranceSeconds: 300, maxEntries: 2 });
    expect(guard.admit('a', 1_000, 1_000)).toBe('fresh');
    expect(guard.admit('a', 1_000, 1_200)).toBe('replay');
    expect(guard.admit('b', 1_100, 1_200)).toBe('fresh');
    // Full: a third delivery inside the window cannot be remembered, so it is not accepted.
    expect(guard.admit('c', 1_200, 1_250)).toBe('full');
    expect(guard.size).toBe(2);
    // Past 1_000 + 300, "a" can no longer pass the timestamp check: it is forgotten.
    expect(guard.admit('c', 1_200, 1_301)).toBe('fresh');
    expect(guard.size).toBe(2);
    expect(guard.admit('c', 1_200, 1_302)).toBe('replay');
  });
});
