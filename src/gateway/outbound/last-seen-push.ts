/**
 * `presence_last_seen` to this node's sockets: after a connection's `presence_state`, the last
 * seen of its offline friends; when a user's last visible device leaves, that user's to every
 * socket watching them (their `user:<id>` topic: exactly who saw them online).
 *
 * A last leave is sent as of the moment this node saw it (the owner records its own reading of
 * the same moment), or null when the user hides it or the store did not answer: privacy first.
 * Leaves wait as long as the diff batch window (diff-outboxes.ts: 0 when the node keeps up,
 * longer under load), then are read from the store in one batch and sent as one message per
 * socket: under churn a socket gets one `presence_last_seen` per window, not one per leave or
 * store read. What is sent is decided right after that read: a user back online, or no longer
 * watched by the socket, is left out, and the visibility read is the one in force (privacy
 * first).
 */
import type { ChangeRoutes } from '../../change-router/change-routes.js';
import type { RoutedChange } from '../../change-router/routed-change.js';
import type { LastSeenMap } from '../../domain/client-protocol.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import { topicOwnsKey, USER_TOPIC_PREFIX, userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';
import {
  type LastSeenReads,
  showsLastSeen,
  visibleLastSeen,
} from '../../last-seen/last-seen-reads.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { PresenceTracker } from '../../ports/presence-tracker.js';
import type { TopicWatchers } from './topic-watchers.js';

export class LastSeenPush {
  /** Users whose last device left, not read yet → when this node saw it. */
  private leaving = new Map<UserId, number>();
  private reading = false;
  private closed = false;
  private timer: unknown;
  private immediate: NodeJS.Immediate | undefined;
  private readonly detachChanges: () => void;

  constructor(
    private readonly watchers: TopicWatchers,
    private readonly replica: PresenceTracker,
    changes: ChangeRoutes,
    private readonly reads: LastSeenReads,
    /** The wall clock: when this node saw a last leave. */
    private readonly clock: Clock,
    /** The server's timers, and how long owed messages wait (the diff batch window, ms). */
    private readonly timers: Timers,
    private readonly windowMs: () => number,
  ) {
    this.detachChanges = changes.attach('lastSeen', { changed: (change) => this.changed(change) });
  }

  close(): void {
    this.closed = true;
    this.detachChanges();
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.leaving.clear();
  }

  /** Sends `socket` the last seen of those of `friends` who are offline and show it. */
  sendOffline(socket: PresenceSocket, friends: Iterable<UserId>): void {
    const offline = [...friends].filter((user) => !this.isVisible(user));
    if (offline.length === 0) return;
    void this.reads.read(offline).then((answer) => {
      if (this.closed || !socket.connected) return;
      const lastSeen: LastSeenMap = {};
      let any = false;
      for (const user of offline) {
        const at = visibleLastSeen(answer, user);
        // Back online meanwhile (the client has their join), or no longer a friend: not sent.
        if (at === null || this.isVisible(user) || !this.watchers.watches(socket, userTopic(user)))
          continue;
        lastSeen[user] = at;
        any = true;
      }
      if (any) socket.emit('presence_last_seen', lastSeen);
    });
  }

  private isVisible(user: UserId): boolean {
    return this.replica.view.get(userTopic(user), user).length > 0;
  }

  private changed(change: RoutedChange): void {
    if (change.change.leaves.length === 0) return;
    let now: number | undefined;
    for (const [topic, { leaves }] of change.topics) {
      if (leaves.length === 0 || !topic.startsWith(USER_TOPIC_PREFIX)) continue;
      for (const { key } of leaves) {
        if (!topicOwnsKey(topic, key)) continue;
        if (this.isVisible(key) || !this.watchers.has(topic)) continue;
        now ??= this.clock.now();
        this.leaving.set(key, now);
      }
    }
    this.schedule();
  }

  /** Reads and sends the leaves gathered at the end of the current window (0: after this turn). */
  private schedule(): void {
    if (this.closed || this.reading || this.leaving.size === 0) return;
    if (this.timer !== undefined || this.immediate !== undefined) return;
    const wait = this.windowMs();
    if (wait <= 0) this.immediate = setImmediate(this.send);
    else this.timer = this.timers.setTimeout(this.send, wait);
  }

  private readonly send = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    void this.sendLeaving();
  };

  /**
   * One store read for the window's leaves, then one message per watching socket, built right
   * after the read (as the visibility it read): a user back online or no longer watched by then
   * is left out, and a setting changed during the window is the one applied.
   */
  private async sendLeaving(): Promise<void> {
    this.reading = true;
    const batch = this.leaving;
    this.leaving = new Map();
    try {
      const answer = await this.reads.read([...batch.keys()]);
      if (this.closed) return;
      const perSocket = new Map<PresenceSocket, LastSeenMap>();
      for (const [user, at] of batch) {
        if (this.isVisible(user)) continue;
        const members = this.watchers.of(userTopic(user));
        if (members === undefined) continue;
        const value = showsLastSeen(answer, user) ? at : null;
        for (const socket of members) {
          let message = perSocket.get(socket);
          if (message === undefined) {
            message = {};
            perSocket.set(socket, message);
          }
          message[user] = value;
        }
      }
      for (const [socket, message] of perSocket) {
        if (socket.connected) socket.emit('presence_last_seen', message);
      }
    } finally {
      this.reading = false;
      this.schedule();
    }
  }
}
