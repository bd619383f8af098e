/**
 * Sends online/offline webhook events (docs/webhooks.md). `enqueue` is synchronous and O(1):
 * presence never waits for a receiver. Events of one user go strictly in order (the next waits
 * until the previous was delivered or given up); different users go in parallel, up to
 * `concurrency` requests. A failed try is retried with exponential backoff and full jitter; the
 * queue is bounded, and what does not fit is dropped and counted. At least once: a receiver that
 * answered 2xx too late (after the timeout) gets the event again, with the same id.
 */

import type { Timers } from '../ports/clock.js';
import { systemTimers, systemWallClock } from '../ports/clock.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { RateLimitedLog } from '../ports/rate-limited-log.js';
import { VERSION } from '../version.js';
import { Fifo } from './fifo.js';
import { standardWebhookHeaders } from './standard-webhook-signature.js';
import { retryAfterMs, webhookRetryDelay } from './webhook-backoff.js';
import { type WebhookEvent, webhookBody } from './webhook-event.js';
import {
  type ResolvedWebhookOptions,
  resolveWebhookOptions,
  type WebhookOptions,
} from './webhook-options.js';
import { PRESENCE_SIGNATURE_HEADER, signPresenceWebhook } from './webhook-signature.js';

/** How one event ended: 2xx, given up (refused or out of tries), or not queued at all. */
export type WebhookOutcome = 'delivered' | 'failed' | 'dropped';

export interface WebhookSenderOptions extends WebhookOptions {
  readonly logger?: Logger;
  /** Backoff and request timeouts run on these. @default the system's (unref'd) */
  readonly timers?: Timers;
  /** [0, 1), for the backoff's jitter. @default Math.random */
  readonly random?: () => number;
  /** Wall clock for the signature's t, ms since the epoch. @default the system's */
  readonly wallClockMs?: () => number;
  /** Called once per event when it ends (delivered, failed or dropped). */
  readonly onOutcome?: (event: WebhookEvent, outcome: WebhookOutcome) => void;
}

export interface WebhookSenderStats {
  /** Events the receiver answered with 2xx. */
  readonly delivered: number;
  /** Events given up: refused (4xx other than 408 and 429, a redirect) or out of tries. */
  readonly failed: number;
  /** Events not queued: the queue was full, or the sender closed. */
  readonly dropped: number;
  /** Tries that failed in a way worth retrying: 408, 429, 5xx, network error, timeout. */
  readonly retried: number;
  /** Tries the receiver refused: the event is given up at once. */
  readonly refused: number;
  /** Events held: waiting, waiting to retry, or in flight. */
  readonly queueDepth: number;
  /** Requests in flight now. */
  readonly inFlight: number;
  /** The last failed try, e.g. "answered 503" or "no answer within 5000 ms". */
  readonly lastError: string | undefined;
}

interface Pending {
  readonly event: WebhookEvent;
  readonly body: string;
  attempts: number;
}

type TryResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry'; readonly error: string; readonly minDelayMs?: number }
  | { readonly kind: 'refused'; readonly error: string }
  | { readonly kind: 'closed' };

export class WebhookSender {
  /** Set when the URL is plain http beyond loopback: log it at start. */
  readonly warning: string | undefined;

  private readonly options: ResolvedWebhookOptions;
  private readonly logger: Logger;
  private readonly log: RateLimitedLog;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly wallClockMs: () => number;
  private readonly onOutcome: ((event: WebhookEvent, outcome: WebhookOutcome) => void) | undefined;

  /** Each user's events in order; the head is in flight or waiting for its retry. */
  private readonly queues = new Map<string, Fifo<Pending>>();
  /** Users whose head may be sent now, oldest first (a Set keeps insertion order). */
  private readonly ready = new Set<string>();
  private readonly retryTimers = new Map<string, unknown>();
  /** Requests in flight, each with its timeout timer. */
  private readonly requests = new Map<AbortController, unknown>();
  private held = 0;
  /** Resolved when nothing is held any more (`drain`). */
  private idleWaiters: (() => void)[] = [];
  private pumpScheduled = false;
  private closed = false;
  private counts = { delivered: 0, failed: 0, dropped: 0, retried: 0, refused: 0 };
  private lastError: string | undefined;

  /** @throws InvalidOptionError for a bad URL, a short secret or a non-positive bound. */
  constructor(options: WebhookSenderOptions) {
    this.options = resolveWebhookOptions(options);
    this.warning = this.options.warning;
    this.logger = options.logger ?? silentLogger;
    this.log = new RateLimitedLog(this.logger);
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
    this.wallClockMs = options.wallClockMs ?? systemWallClock.now;
    this.onOutcome = options.onOutcome;
  }

  get stats(): WebhookSenderStats {
    return {
      ...this.counts,
      queueDepth: this.held,
      inFlight: this.requests.size,
      lastError: this.lastError,
    };
  }

  /** Queues an event; false when it was dropped (queue full or closed). Never waits. */
  enqueue(event: WebhookEvent): boolean {
    if (this.closed || this.held >= this.options.maxQueue) {
      this.counts.dropped += 1;
      this.log.warn(
        'webhook_dropped',
        { user: event.user, type: event.type, maxQueue: this.options.maxQueue },
        this.closed
          ? 'webhook event dropped: the sender is closed'
          : 'webhook event dropped: the queue is full (the receiver is down or slower than presence changes)',
      );
      this.report(event, 'dropped');
      return false;
    }
    let queue = this.queues.get(event.user);
    if (queue === undefined) {
      queue = new Fifo();
      this.queues.set(event.user, queue);
    }
    queue.push({ event, body: webhookBody(event), attempts: 0 });
    this.held += 1;
    if (queue.length === 1) this.markReady(event.user);
    return true;
  }

  /**
   * Resolves once every held event is delivered or given up, or after `timeoutMs`, whichever is
   * first (a shutdown gives what is queued a moment, never more).
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.held === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        this.timers.clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Stops: clears the retry timers, aborts the requests in flight and forgets the queue.
   * Returns how many events were still held (never delivered from here). Idempotent.
   */
  close(): number {
    if (this.closed) return 0;
    this.closed = true;
    for (const timer of this.retryTimers.values()) this.timers.clearTimeout(timer);
    this.retryTimers.clear();
    for (const [request, timeout] of this.requests) {
      this.timers.clearTimeout(timeout);
      request.abort();
    }
    this.requests.clear();
    const unsent = this.held;
    this.held = 0;
    this.wakeIdleWaiters();
    this.queues.clear();
    this.ready.clear();
    if (unsent > 0) {
      this.logger.warn({ unsent }, 'webhook sender closed with events not delivered');
    }
    return unsent;
  }

  private markReady(user: string): void {
    this.ready.add(user);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // Sends start once the caller's synchronous code is done: enqueue stays O(1), and a
    // burst of events is one pump.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.closed && this.requests.size < this.options.concurrency) {
      const user = this.ready.values().next();
      if (user.done) return;
      this.ready.delete(user.value);
      this.send(user.value);
    }
  }

  private send(user: string): void {
    const pending = this.queues.get(user)?.peek();
    if (pending === undefined) return;
    pending.attempts += 1;
    const controller = new AbortController();
    // attempt() registers the request before its first await, so pump() counts it at once.
    void this.attempt(pending, controller).then((result) => {
      if (result.kind === 'closed' || this.closed) return;
      this.requests.delete(controller);
      this.settle(user, pending, result);
      this.pump();
    });
  }

  private async attempt(pending: Pending, controller: AbortController): Promise<TryResult> {
    const { url, secret, timeoutMs } = this.options;
    let timedOut = false;
    const timer = this.timers.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    this.requests.set(controller, timer);
    try {
      const t = Math.floor(this.wallClockMs() / 1000);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `graph-presence/${VERSION}`,
          [PRESENCE_SIGNATURE_HEADER]: signPresenceWebhook(secret, pending.body, t),
          ...standardWebhookHeaders(secret, pending.event.id, t, pending.body),
        },
        body: pending.body,
        redirect: 'manual',
        signal: controller.signal,
      });
      // The answer's body is never read: a receiver cannot make this node buffer anything.
      response.body?.cancel().catch(() => {});
      return this.closed ? { kind: 'closed' } : classify(response);
    } catch (error) {
      if (this.closed) return { kind: 'closed' };
      if (timedOut) return { kind: 'retry', error: `no answer within ${timeoutMs} ms` };
      return { kind: 'retry', error: describeNetworkError(error) };
    } finally {
      this.timers.clearTimeout(timer);
    }
  }

  private settle(user: string, pending: Pending, result: Exclude<TryResult, { kind: 'closed' }>) {
    const { event } = pending;
    if (result.kind === 'ok') {
      this.counts.delivered += 1;
      this.finish(user, event, 'delivered');
      return;
    }
    this.lastError = result.error;
    const fields = { user: event.user, type: event.type, id: event.id, error: result.error };
    if (result.kind === 'refused') {
      this.counts.refused += 1;
      this.counts.failed += 1;
      this.log.warn('webhook_refused', fields, 'webhook event given up: the receiver refused it');
      this.finish(user, event, 'failed');
      return;
    }
    this.counts.retried += 1;
    if (pending.attempts >= this.options.maxAttempts) {
      this.counts.failed += 1;
      this.log.warn(
        'webhook_gave_up',
        { ...fields, attempts: pending.attempts },
        'webhook event given up after its last try',
      );
      this.finish(user, event, 'failed');
      return;
    }
    const delayMs = Math.max(
      webhookRetryDelay(pending.attempts, this.random),
      result.minDelayMs ?? 0,
    );
    this.logger.debug({ ...fields, attempts: pending.attempts, delayMs }, 'webhook retry');
    this.retryTimers.set(
      user,
      this.timers.setTimeout(() => {
        this.retryTimers.delete(user);
        if (!this.closed) this.markReady(user);
      }, delayMs),
    );
  }

  /** The head of the user's queue is done: the next one of that user may go. */
  private finish(user: string, event: WebhookEvent, outcome: WebhookOutcome): void {
    const queue = this.queues.get(user);
    queue?.shift();
    this.held -= 1;
    if (queue !== undefined && queue.length > 0) this.markReady(user);
    else this.queues.delete(user);
    this.report(event, outcome);
    if (this.held === 0) this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** The caller's hook must not break the queue (or throw into enqueue). */
  private report(event: WebhookEvent, outcome: WebhookOutcome): void {
    if (this.onOutcome === undefined) return;
    try {
      this.onOutcome(event, outcome);
    } catch (error) {
      this.logger.error({ err: error, id: event.id, outcome }, 'webhook onOutcome threw');
    }
  }
}

/** 2xx delivered; 408, 429 and 5xx worth another try; a redirect or another 4xx refused. */
function classify(response: Response): TryResult {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
    return {
      kind: 'refused',
      error: `redirected (${status}): redirects are not followed; set the webhook URL to the final address`,
    };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const minDelayMs = retryAfterMs(response.headers.get('retry-after'));
    return minDelayMs === undefined
      ? { kind: 'retry', error: `answered ${status}` }
      : { kind: 'retry', error: `answered ${status}`, minDelayMs };
  }
  return { kind: 'refused', error: `answered ${status}` };
}

/** fetch's TypeError says only "fetch failed"; the cause has the code (ECONNREFUSED, …). */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return `network error ${cause.code}`;
  if (typeof cause?.message === 'string') return `network error: ${cause.message}`;
  return `network error: ${error instanceof Error ? error.message : String(error)}`;
}
