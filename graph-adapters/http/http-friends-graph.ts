/**
 * Friends graph served by the app's own API: `GET <base>/users/<id>/visible`, answers cached
 * for a bounded time, and a signed webhook through which the app announces changes (which
 * also invalidates the cache). In a cluster the app calls the webhook of every node.
 */

import { positiveOption } from '../../src/domain/positive-option.js';
import type { UserId } from '../../src/domain/user-id.js';
import { InvalidOptionError } from '../../src/errors.js';
import {
  type FriendsGraph,
  type FriendsGraphChange,
  type FriendsGraphErrorListener,
  type FriendsGraphListener,
  GRAPH_PROBE_USER,
} from '../../src/ports/friends-graph.js';
import { ChangeFeed, closedError, warnOnStderr } from '../shared/change-feed.js';
import { assertUserId } from '../shared/user-id.js';
import { DEFAULT_MAX_BODY_BYTES, type FetchVisibleOptions, fetchVisible } from './fetch-visible.js';
import { VisibleCache, type VisibleCacheOptions } from './visible-cache.js';
import { createWebhookHandler, type WebhookRequestListener } from './webhook-handler.js';

export interface HttpFriendsGraphOptions {
  /** The app's API root, e.g. `https://api.example.com/presence`. */
  baseUrl: string;
  /** Shared secret of the change webhook; without it `webhookHandler` is unavailable. */
  webhookSecret?: string;
  /** Longest wait for one request, in milliseconds. @default 2000 */
  timeoutMs?: number;
  /**
   * Longest answer body read, in bytes; a longer one is `PRESENCE_GRAPH_INVALID_DATA` and its
   * connection is dropped. @default 4194304 (4 MiB)
   */
  maxBodyBytes?: number;
  /** Extra request headers, e.g. `{ authorization: 'Bearer …' }`. @default {} */
  headers?: Record<string, string>;
  /** @default { ttlMs: 30000, maxEntries: 10000 } */
  cache?: VisibleCacheOptions;
  /** Where feed problems are reported. @default a warning on stderr */
  onError?: FriendsGraphErrorListener;
}

export class HttpFriendsGraph implements FriendsGraph {
  readonly #options: FetchVisibleOptions;
  readonly #cache: VisibleCache;
  readonly #feed: ChangeFeed;
  readonly #webhookSecret: string | undefined;
  readonly #inFlight = new Map<UserId, { epoch: number; answer: Promise<readonly UserId[]> }>();
  /** Bumped on every invalidation; an answer fetched under an older epoch is not cached. */
  #epoch = 0;
  #webhookHandler: WebhookRequestListener | undefined;

  constructor(options: HttpFriendsGraphOptions) {
    this.#options = {
      baseUrl: checkBaseUrl(options.baseUrl),
      timeoutMs: options.timeoutMs ?? 2000,
      headers: options.headers ?? {},
      maxBodyBytes: positiveOption(
        'HttpFriendsGraph maxBodyBytes',
        options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ),
    };
    this.#cache = new VisibleCache(options.cache);
    this.#feed = new ChangeFeed(options.onError ?? warnOnStderr);
    this.#webhookSecret = options.webhookSecret;
  }

  async visibleTo(userId: UserId): Promise<readonly UserId[]> {
    if (this.#feed.isClosed) throw closedError('visibleTo');
    assertUserId(userId, 'HttpFriendsGraph.visibleTo');
    const cached = this.#cache.get(userId);
    if (cached) return [...cached];
    // Concurrent callers for one user share a request, unless a change arrived since it left.
    const pending = this.#inFlight.get(userId);
    if (pending && pending.epoch === this.#epoch) return [...(await pending.answer)];
    const epoch = this.#epoch;
    const answer = fetchVisible(this.#options, userId);
    this.#inFlight.set(userId, { epoch, answer });
    try {
      const visible = await answer;
      if (epoch === this.#epoch) this.#cache.set(userId, visible);
      return [...visible];
    } finally {
      if (this.#inFlight.get(userId)?.answer === answer) this.#inFlight.delete(userId);
    }
  }

  /** Readiness: one request to the app's API for a user nobody has, never from the cache. */
  async check(): Promise<void> {
    if (this.#feed.isClosed) throw closedError('check');
    await fetchVisible(this.#options, GRAPH_PROBE_USER);
  }

  subscribe(listener: FriendsGraphListener): () => void {
    return this.#feed.subscribe(listener);
  }

  /**
   * The node:http request listener for the change webhook; mount it on any route, e.g.
   * `POST /graph/webhook`. Answers 204, or 4xx/503 with `{ error: { code, message } }`.
   */
  get webhookHandler(): WebhookRequestListener {
    if (!this.#webhookSecret) {
      throw new InvalidOptionError(
        'HttpFriendsGraph: set webhookSecret to receive graph changes from the app',
      );
    }
    this.#webhookHandler ??= createWebhookHandler({
      secret: this.#webhookSecret,
      onChanges: (changes) => this.applyChanges(changes),
      isClosed: () => this.#feed.isClosed,
    });
    return this.#webhookHandler;
  }

  /** Applies changes heard some other way (the webhook calls this): invalidate, then report. */
  applyChanges(changes: readonly FriendsGraphChange[]): void {
    if (this.#feed.isClosed) return;
    for (const change of changes) {
      this.#invalidate(change);
      this.#feed.emit(change);
    }
  }

  async close(): Promise<void> {
    this.#feed.close();
    this.#cache.clear();
    this.#inFlight.clear();
  }

  #invalidate(change: FriendsGraphChange): void {
    this.#epoch++;
    switch (change.kind) {
      case 'edge-added':
      case 'edge-removed':
        this.#cache.delete(change.source);
        if (!change.directed) this.#cache.delete(change.target);
        return;
      case 'visibility-changed':
        for (const viewer of change.viewers) this.#cache.delete(viewer);
        return;
      case 'reset':
        this.#cache.clear();
    }
  }
}

function checkBaseUrl(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    if (url.protocol === 'http:' || url.protocol === 'https:') return baseUrl;
  } catch {
    // fall through to the error below
  }
  throw new InvalidOptionError(
    `HttpFriendsGraph: baseUrl ${JSON.stringify(baseUrl)} must be an http(s) URL such as https://api.example.com/presence`,
  );
}
