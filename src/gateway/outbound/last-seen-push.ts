/**
 * `presence_last_seen` to this node's sockets: after a connection's `presence_state`, the last
 * seen of its offline friends; when a user's last visible device leaves, that user's to every
 * socket watching them (their `user:<id>` topic: exactly who saw them online).
 *
 * A last leave is sent as of the moment this node saw it (the owner records its own reading of
 * the same moment), or null when the user hides it or the store did not answer: privacy first.
 * Leaves that come together (a dead node's users) are read from the store in one batch, and what
 * each socket is owed waits as long as the diff batch window (diff-outboxes.ts: 0 when the node
 * keeps up, longer under load) to go out as one message: under churn a socket gets one
 * `presence_last_seen` per window, not one per store read. A user back online, or no longer
 * watched by the socket, by then is left out (privacy first).
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
  /** What each socket is owed, sent at the end of the window. */
  private owed = new Map<PresenceSocket, LastSeenMap>();
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
    this.owed.clear();
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
    if (this.leaving.size > 0 && !this.reading) void this.sendLeaving();
  }

  private async sendLeaving(): Promise<void> {
    this.reading = true;
    while (this.leaving.size > 0 && !this.closed) {
      const batch = this.leaving;
      this.leaving = new Map();
      const answer = await this.reads.read([...batch.keys()]);
      if (this.closed) break;
      for (const [user, at] of batch) {
        if (this.isVisible(user)) continue;
        const members = this.watchers.of(userTopic(user));
        if (members === undefined) continue;
        const value = showsLastSeen(answer, user) ? at : null;
        for (const socket of members) {
          let message = this.owed.get(socket);
          if (message === undefined) {
            message = {};
            this.owed.set(socket, message);
          }
          message[user] = value;
        }
      }
      this.schedule();
    }
    this.reading = false;
  }

  /** Sends what is owed at the end of the current window (after this turn when it is 0). */
  private schedule(): void {
    if (this.closed || this.owed.size === 0) return;
    if (this.timer !== undefined || this.immediate !== undefined) return;
    const wait = this.windowMs();
    if (wait <= 0) this.immediate = setImmediate(this.flush);
    else this.timer = this.timers.setTimeout(this.flush, wait);
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    const owed = this.owed;
    this.owed = new Map();
    for (const [socket, message] of owed) {
      if (!socket.connected) continue;
      let sent: LastSeenMap | undefined;
      for (const user of Object.keys(message)) {
        if (this.isVisible(user) || !this.watchers.watches(socket, userTopic(user))) continue;
        sent ??= {};
        sent[user] = message[user]!;
      }
      if (sent !== undefined) socket.emit('presence_last_seen', sent);
    }
  };
}
