/** The HTTP adapter against a real local backend server and real webhook servers. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HttpFriendsGraph,
  SIGNATURE_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../graph-adapters/http/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { recordChanges } from '../contracts/change-recorder.js';
import { describeFriendsGraphContract } from '../contracts/friends-graph.contract.js';
import { type AppBackend, startAppBackend, WEBHOOK_SECRET } from './app-backend.js';

async function openNode(backend: AppBackend, options: { ttlMs?: number } = {}) {
  const adapter = new HttpFriendsGraph({
    baseUrl: backend.baseUrl,
    webhookSecret: WEBHOOK_SECRET,
    cache: { ttlMs: options.ttlMs ?? 60_000, maxEntries: 1000 },
  });
  await backend.registerWebhook(adapter.webhookHandler);
  return adapter;
}

describeFriendsGraphContract('http', async () => {
  const backend = await startAppBackend();
  const opened: FriendsGraph[] = [];
  const writer = backend.graph;
  return {
    async open() {
      const adapter = await openNode(backend);
      opened.push(adapter);
      return adapter;
    },
    async addEdge(source, target, directed) {
      await writer.addEdge(source, target, { directed });
      await backend.flush();
    },
    async removeEdge(source, target, directed) {
      await writer.removeEdge(source, target, { directed });
      await backend.flush();
    },
    async addEdges(edges) {
      for (const [source, target, directed] of edges) {
        await writer.addEdge(source, target, { directed });
      }
      await backend.flush();
    },
    async cleanup() {
      await Promise.all(opened.map((adapter) => adapter.close()));
      await backend.close();
    },
  };
});

describe('http adapter', () => {
  let backend: AppBackend;
  beforeEach(async () => {
    backend = await startAppBackend();
  });
  afterEach(async () => {
    await backend.close();
  });

  it('caches answers and invalidates the users a webhook change affects', async () => {
    const adapter = await openNode(backend);
    await backend.graph.addEdge('alice', 'bob');
    await backend.graph.addEdge('carol', 'dave');
    await backend.flush();
    expect(await adapter.visibleTo('alice')).toEqual(['bob']);
    expect(await adapter.visibleTo('alice')).toEqual(['bob']);
    expect(await adapter.visibleTo('carol')).toEqual(['dave']);
    expect(backend.hits.get('/users/alice/visible')).toBe(1);

    await backend.graph.addEdge('bob', 'carol');
    await backend.flush();
    expect([...(await adapter.visibleTo('carol'))].sort()).toEqual(['bob', 'dave']);
    expect(await adapter.visibleTo('alice')).toEqual(['bob']);
    expect(backend.hits.get('/users/carol/visible')).toBe(2);
    expect(backend.hits.get('/users/alice/visible')).toBe(1);
    await adapter.close();
  });

  it('shares one request among concurrent callers for the same user', async () => {
    const adapter = await openNode(backend);
    await backend.graph.addEdge('alice', 'bob');
    const answers = await Promise.all([1, 2, 3].map(() => adapter.visibleTo('alice')));
    expect(answers).toEqual([['bob'], ['bob'], ['bob']]);
    expect(backend.hits.get('/users/alice/visible')).toBe(1);
    await adapter.close();
  });

  it('keeps at most maxEntries users and refetches with the cache disabled', async () => {
    const small = new HttpFriendsGraph({ baseUrl: backend.baseUrl, cache: { maxEntries: 2 } });
    for (const id of ['u1', 'u2', 'u3', 'u1']) await small.visibleTo(id);
    expect(backend.hits.get('/users/u1/visible')).toBe(2);
    const uncached = new HttpFriendsGraph({ baseUrl: backend.baseUrl, cache: { ttlMs: 0 } });
    await uncached.visibleTo('u9');
    await uncached.visibleTo('u9');
    expect(backend.hits.get('/users/u9/visible')).toBe(2);
  });

  it('passes visibility-changed and reset from the webhook to listeners', async () => {
    const adapter = await openNode(backend);
    const recorder = recordChanges(adapter);
    adapter.applyChanges([{ kind: 'visibility-changed', viewers: ['alice'] }, { kind: 'reset' }]);
    expect(recorder.changes).toEqual([
      { kind: 'visibility-changed', viewers: ['alice'] },
      { kind: 'reset' },
    ]);
    await adapter.close();
  });

  it.each([
    [404, '', []],
    [200, '{"visible": ["bob", "bob", "me"]}', ['bob']],
  ])('reads status %i body %s as %j', async (status, body, expected) => {
    backend.override = { status, body };
    const adapter = new HttpFriendsGraph({ baseUrl: backend.baseUrl });
    expect(await adapter.visibleTo('me')).toEqual(expected);
  });

  it.each([
    [500, '', 'PRESENCE_GRAPH_UNAVAILABLE'],
    [200, 'not json', 'PRESENCE_GRAPH_INVALID_DATA'],
    [200, '["bob"]', 'PRESENCE_GRAPH_INVALID_DATA'],
    [200, '{"visible": [1, 2]}', 'PRESENCE_GRAPH_INVALID_DATA'],
  ])('rejects status %i body %s with %s', async (status, body, code) => {
    backend.override = { status, body };
    const adapter = new HttpFriendsGraph({ baseUrl: backend.baseUrl });
    await expect(adapter.visibleTo('me')).rejects.toMatchObject({
      name: 'GraphProviderError',
      code,
    });
  });

  it('times out on a backend that never answers, and reports a dead one as unavailable', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const slow = new HttpFriendsGraph({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 100 });
    await expect(slow.visibleTo('me')).rejects.toMatchObject({ code: 'PRESENCE_GRAPH_TIMEOUT' });
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
    const dead = new HttpFriendsGraph({ baseUrl: `http://127.0.0.1:${port}` });
    await expect(dead.visibleTo('me')).rejects.toMatchObject({
      code: 'PRESENCE_GRAPH_UNAVAILABLE',
    });
  });

  it('rejects webhooks with a bad signature, stale timestamp, bad body or wrong method', async () => {
    const adapter = new HttpFriendsGraph({
      baseUrl: backend.baseUrl,
      webhookSecret: WEBHOOK_SECRET,
    });
    const server = createServer(adapter.webhookHandler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const recorder = recordChanges(adapter);
    const post = async (body: string, signature?: string, method = 'POST') => {
      const response = await fetch(url, {
        method,
        headers: signature ? { [SIGNATURE_HEADER]: signature } : {},
        ...(method === 'POST' ? { body } : {}),
      });
      const text = await response.text();
      return { status: response.status, code: text ? JSON.parse(text).error.code : undefined };
    };
    const good = JSON.stringify({ changes: [{ kind: 'reset' }] });
    const old = Math.floor(Date.now() / 1000) - 3600;
    expect(await post(good)).toEqual({ status: 401, code: 'PRESENCE_UNAUTHORIZED' });
    expect(await post(good, signWebhookBody('wrong secret', good))).toMatchObject({ status: 401 });
    expect(await post(good, signWebhookBody(WEBHOOK_SECRET, good, old))).toMatchObject({
      status: 401,
    });
    const bad = JSON.stringify({ changes: [{ kind: 'reset' }, { kind: 'edge-added' }] });
    expect(await post(bad, signWebhookBody(WEBHOOK_SECRET, bad))).toEqual({
      status: 400,
      code: 'PRESENCE_GRAPH_INVALID_DATA',
    });
    expect(await post('', undefined, 'GET')).toMatchObject({ status: 405 });
    expect(recorder.changes).toEqual([]);
    expect(await post(good, signWebhookBody(WEBHOOK_SECRET, good))).toEqual({
      status: 204,
      code: undefined,
    });
    expect(recorder.changes).toEqual([{ kind: 'reset' }]);
    await adapter.close();
    expect(await post(good, signWebhookBody(WEBHOOK_SECRET, good))).toMatchObject({ status: 503 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies signatures made by signWebhookBody only for the same body', () => {
    const header = signWebhookBody('s', '{"a":1}', 1000);
    expect(verifyWebhookSignature('s', header, '{"a":1}', 1000)).toEqual({ ok: true });
    expect(verifyWebhookSignature('s', header, '{"a":2}', 1000).ok).toBe(false);
    expect(verifyWebhookSignature('s', 't=x,v1=zz', '{"a":1}', 1000).ok).toBe(false);
  });

  it('rejects bad options and unroutable ids with clear codes', async () => {
    expect(() => new HttpFriendsGraph({ baseUrl: 'ftp://x' })).toThrow(
      expect.objectContaining({ code: 'PRESENCE_INVALID_OPTION' }),
    );
    const adapter = new HttpFriendsGraph({ baseUrl: backend.baseUrl });
    expect(() => adapter.webhookHandler).toThrow(
      expect.objectContaining({ code: 'PRESENCE_INVALID_OPTION' }),
    );
    await expect(adapter.visibleTo('..')).rejects.toMatchObject({ code: 'PRESENCE_INVALID_INPUT' });
  });
});
