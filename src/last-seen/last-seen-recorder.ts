/**
 * Records each user's last seen when they go offline, on the node that owns them (so each offline
 * is written once): the moment their last visible device left. Invisible time never counts: going
 * invisible is leaving `user:<id>`, so it is recorded as of then, and nothing while hidden.
 *
 * Writes go out a few at a time (`maxInFlight`): a dead node's thousands of users all go offline
 * at once, and a store with a small connection pool would time out most of a burst sent at once.
 * What waits is kept per user (the latest time wins), so the backlog is at most one entry per user.
 * A failed write is logged and counted; presence goes on.
 */

import type { UserId } from '../domain/user-id.js';
import type { LastSeenStore } from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import { RateLimitedLog } from '../ports/rate-limited-log.js';

/** Below a PostgreSQL store's default pool of 10: reads keep a connection. */
export const DEFAULT_MAX_WRITES_IN_FLIGHT = 8;

/** What the recorder needs of a transition (a UserOnlineTransition, src/user-online/). */
export interface OwnedTransition {
  readonly type: 'online' | 'offline';
  readonly user: UserId;
  /** When it happened (ms since the epoch): an offline's is the moment the last device left. */
  readonly at: number;
  /** This node is the user's owner: it records; the others only watch. */
  readonly owned: boolean;
}

/**
 * The transitions the recorder follows: the node's UserOnlineFeed (src/user-online/), which sits
 * above last seen and hands the recorder its events.
 */
export interface OwnedTransitions {
  on(event: 'transition', listener: (transition: OwnedTransition) => void): unknown;
  off(event: 'transition', listener: (transition: OwnedTransition) => void): unknown;
}

export interface LastSeenRecorderStats {
  recorded: number;
  failures: number;
  /** Users whose write waits for a free slot now. */
  waiting: number;
}

export class LastSeenRecorder {
  readonly stats: LastSeenRecorderStats = { recorded: 0, failures: 0, waiting: 0 };
  private readonly waiting = new Map<UserId, number>();
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readonly log: RateLimitedLog;

  constructor(
    private readonly feed: OwnedTransitions,
    private readonly store: LastSeenStore,
    logger: Logger,
    private readonly maxInFlight = DEFAULT_MAX_WRITES_IN_FLIGHT,
  ) {
    this.log = new RateLimitedLog(logger);
    feed.on('transition', this.onTransition);
  }

  /** Stops listening; resolves once every write already asked for is over. */
  async close(): Promise<void> {
    this.feed.off('transition', this.onTransition);
    if (this.inFlight === 0 && this.waiting.size === 0) return;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
    });
  }

  private readonly onTransition = (transition: OwnedTransition): void => {
    if (!transition.owned || transition.type !== 'offline') return;
    const { user, at } = transition;
    this.waiting.set(user, Math.max(at, this.waiting.get(user) ?? at));
    this.pump();
  };

  private pump(): void {
    for (const [user, at] of this.waiting) {
      if (this.inFlight >= this.maxInFlight) break;
      this.waiting.delete(user);
      this.inFlight++;
      this.store.record(user, at).then(
        () => this.settled(true),
        (err: unknown) => {
          this.log.warn('last_seen_write', { err }, 'last-seen store write failed');
          this.settled(false);
        },
      );
    }
    this.stats.waiting = this.waiting.size;
    if (this.inFlight === 0 && this.waiting.size === 0) this.drained?.();
  }

  private settled(ok: boolean): void {
    this.inFlight--;
    if (ok) this.stats.recorded++;
    else this.stats.failures++;
    this.pump();
  }
}
