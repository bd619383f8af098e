/**
 * Periodic re-check of every connection's subscriptions against the friends graph.
 *
 * Subscriptions follow the graph's change feed (graph-feed.ts). A change that never arrives (a
 * lost webhook, a relay message dropped between nodes, a feed gap not reported as `reset`) would
 * leave a removed friend subscribed for as long as the connection lives. So each connection is
 * re-read once per `intervalMs`, through the session's own subscription step (leaves of exactly
 * the metas it holds, its outbox withdrawn), and any difference is counted as a correction.
 *
 * Cost is bounded and spread: a round takes the connections open when it starts and re-checks
 * them evenly over `intervalMs`, never more than `maxLookupsPerSecond` graph lookups a second
 * (a round then takes longer). A new round starts no sooner than `intervalMs` after the last.
 */

import { positiveOption } from '../../domain/positive-option.js';
import { InvalidOptionError } from '../../errors.js';
import { PRESENCE_OPTIONS } from '../../options/index.js';
import { type Clock, systemServerClock, type Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';

export interface SubscriptionRecheckOptions {
  /** Each connection is re-checked once per this period; 0 turns re-checks off. @default 600000 */
  readonly intervalMs?: number;
  /** Graph lookups a second the re-checks may make at most, on this node. @default 50 */
  readonly maxLookupsPerSecond?: number;
  /** @deprecated give the gateway's `clock`. The re-check rounds' own clock. @default the gateway's */
  readonly clock?: Clock & Timers;
}

export type ResolvedSubscriptionRecheckOptions = Readonly<Required<SubscriptionRecheckOptions>>;

export const DEFAULT_SUBSCRIPTION_RECHECK_MS =
  PRESENCE_OPTIONS.options.subscriptionRecheckMs.default;
export const DEFAULT_RECHECK_LOOKUPS_PER_SECOND = 50;
/** setTimeout's longest delay. */
const MAX_INTERVAL_MS = PRESENCE_OPTIONS.options.subscriptionRecheckMs.max;
/** How often a batch of re-checks is started. */
const TICK_MS = 1_000;

export function resolveSubscriptionRecheck(
  options: SubscriptionRecheckOptions = {},
  clock: Clock & Timers = systemServerClock,
): ResolvedSubscriptionRecheckOptions {
  const intervalMs = options.intervalMs ?? DEFAULT_SUBSCRIPTION_RECHECK_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new InvalidOptionError(
      `subscriptionRecheck.intervalMs must be an integer from 0 (off) to ${MAX_INTERVAL_MS} ms, got ${String(intervalMs)}`,
    );
  }
  return {
    intervalMs,
    maxLookupsPerSecond: positiveOption(
      'subscriptionRecheck.maxLookupsPerSecond',
      options.maxLookupsPerSecond ?? DEFAULT_RECHECK_LOOKUPS_PER_SECOND,
    ),
    clock: options.clock ?? clock,
  };
}

/** What the re-check needs of a connection (ConnectionSession). */
export interface Recheckable {
  /** Re-reads the graph quietly; resolves to the friends added or removed (0 when none). */
  recheck(): Promise<number>;
}

export interface SubscriptionRecheckStats {
  /** Connections re-checked since start. */
  readonly rechecks: number;
  /** Friends added or removed by a re-check since start: graph changes that were missed. */
  readonly corrections: number;
}

export class SubscriptionRecheck {
  private queue: Recheckable[] = [];
  private roundSize = 0;
  private roundStartedAt: number;
  private handle: unknown;
  private closed = false;
  private rechecks = 0;
  private corrections = 0;
  private readonly tickMs: number;

  constructor(
    private readonly connections: () => Recheckable[],
    private readonly options: ResolvedSubscriptionRecheckOptions,
    private readonly logger: Logger,
  ) {
    this.tickMs = Math.min(TICK_MS, options.intervalMs);
    // A connection starts with a fresh read: the first round is one interval away.
    this.roundStartedAt = options.clock.now();
    if (options.intervalMs > 0) this.schedule();
  }

  stats(): SubscriptionRecheckStats {
    return { rechecks: this.rechecks, corrections: this.corrections };
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    if (this.handle !== undefined) this.options.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private schedule(): void {
    this.handle = this.options.clock.setTimeout(() => {
      this.handle = undefined;
      if (this.closed) return;
      this.tick();
      this.schedule();
    }, this.tickMs);
  }

  private tick(): void {
    const { clock, intervalMs, maxLookupsPerSecond } = this.options;
    if (this.queue.length === 0) {
      const now = clock.now();
      if (now - this.roundStartedAt < intervalMs) return;
      this.queue = this.connections();
      this.roundSize = this.queue.length;
      this.roundStartedAt = now;
    }
    const spread = Math.ceil((this.roundSize * this.tickMs) / intervalMs);
    const budget = Math.max(1, Math.floor((maxLookupsPerSecond * this.tickMs) / 1000));
    for (let n = Math.min(spread, budget); n > 0; n--) {
      const connection = this.queue.pop();
      if (connection === undefined) break;
      this.rechecks++;
      connection.recheck().then(
        (corrected) => {
          if (corrected === 0) return;
          this.corrections += corrected;
          this.logger.warn({ corrected }, 'subscription re-check corrected a missed graph change');
        },
        (err: unknown) => this.logger.error({ err }, 'subscription re-check failed'),
      );
    }
  }
}
