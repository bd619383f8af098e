/**
 * Records each user's last seen when they go offline, on the node that owns them (so each offline
 * is written once): the moment their last visible device left. Invisible time never counts: going
 * invisible is leaving `user:<id>`, so it is recorded as of then, and nothing while hidden.
 * A failed write is logged and counted; presence goes on.
 */
import type { LastSeenStore } from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import { RateLimitedLog } from '../transports/rate-limited-log.js';
import type { UserOnlineFeed, UserOnlineTransition } from './user-online-feed.js';

export interface LastSeenRecorderStats {
  recorded: number;
  failures: number;
}

export class LastSeenRecorder {
  readonly stats: LastSeenRecorderStats = { recorded: 0, failures: 0 };
  private readonly writes = new Set<Promise<void>>();
  private readonly log: RateLimitedLog;

  constructor(
    private readonly feed: UserOnlineFeed,
    private readonly store: LastSeenStore,
    logger: Logger,
  ) {
    this.log = new RateLimitedLog(logger);
    feed.on('transition', this.onTransition);
  }

  /** Stops listening; resolves once the writes already begun are over. */
  async close(): Promise<void> {
    this.feed.off('transition', this.onTransition);
    await Promise.all(this.writes);
  }

  private readonly onTransition = (transition: UserOnlineTransition): void => {
    if (!transition.owned || transition.type !== 'offline') return;
    const write = this.store.record(transition.user, transition.at).then(
      () => {
        this.stats.recorded++;
      },
      (err: unknown) => {
        this.stats.failures++;
        this.log.warn('last_seen_write', { err }, 'last-seen store write failed');
      },
    );
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  };
}
