/**
 * One connection's subscriptions: the friends it watches, in subscription steps.
 *
 * Subscriptions come only from the graph. A subscription step reads `visibleTo(user)` (async),
 * then, in one synchronous step, starts/stops watching topics (the node's topic-watchers index,
 * outbound/topic-watchers.ts) and reads the tracker for the topics it changed, so no diff can fall
 * between the read and the subscription: the first step sends the whole `presence_state`, later
 * ones (graph changes) a `presence_diff` with the new friends' current metas as joins and the
 * removed friends' as leaves. Because watching and fan-out are both synchronous on this node, what
 * the client holds for a subscribed topic is exactly the tracker's list for it at any step, which
 * is what the leaves are built from.
 *
 * Steps are numbered: a lookup answered after a newer one started is dropped, so a slow answer
 * never undoes a newer graph change. A failed lookup sends `presence_error` to this socket only
 * and is retried with backoff; others are unaffected.
 */
import type { PresenceMap } from '../../domain/client-protocol.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import { selfTopic, userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';
import { lookupVisible } from '../../ports/graph-lookup.js';
import { sendPresenceState } from '../outbound/presence-state-message.js';
import { addMetas, emptyPresenceMap, isEmptyMap } from '../outbound/wire-payload.js';
import { backoffDelay } from './retry-backoff.js';
import type { SessionCollaborators, SessionOptions } from './session-context.js';
import { userTopicNames } from './topic-names.js';

export class SessionSubscriptions {
  /** True once the first state is sent. */
  private subscribedOnce = false;
  /**
   * The friends this socket watches (their `user:` topics, besides its own two), as an array: a
   * connect stores the lookup's ids as they are, and only a later step (a graph change) needs a Set.
   */
  private friends: UserId[] = [];
  /** Its own `user:` and `self:` topics, watched from the first step. */
  private own: readonly [string, string] | undefined;
  private step = 0;
  private failures = 0;
  private retryTimer: unknown;
  private closed = false;
  /** Frees the admission slot: once the first state went out, the first lookup failed, or closed. */
  private admitted: (() => void) | undefined;

  constructor(
    private readonly userId: UserId,
    private readonly socket: PresenceSocket,
    private readonly options: SessionOptions,
    private readonly parts: SessionCollaborators,
  ) {}

  /** True once the first `presence_state` went out. */
  get subscribed(): boolean {
    return this.subscribedOnce;
  }

  /** Whose connection this is (counts/friends-online.ts). */
  get owner(): UserId {
    return this.userId;
  }

  /** The friends this socket watches now (counts/friends-online.ts reads them on demand). */
  watched(): readonly UserId[] {
    return this.friends;
  }

  /** `admitted` is called once the first step is over (state sent, lookup failed) or on close. */
  holdAdmission(admitted: (() => void) | undefined): void {
    this.admitted = admitted;
  }

  /** Re-reads the graph and brings the rooms in line with it (a graph change or a retry). */
  resubscribe(): void {
    if (this.closed) return;
    const step = ++this.step;
    this.clearRetry();
    this.lookupFriends().then(
      (visible) => {
        if (this.closed || step !== this.step) return;
        this.failures = 0;
        this.subscribe(visible);
      },
      (error: unknown) => {
        if (this.closed || step !== this.step) return;
        this.lookupFailed(error);
      },
    );
  }

  /**
   * A background re-read of the graph (subscription-recheck.ts), through the same subscription
   * step as a graph change. A failed lookup is not the client's concern (no `presence_error`, no
   * retry: the next round tries again). Resolves to the friends added or removed.
   */
  recheck(): Promise<number> {
    if (this.closed || !this.subscribedOnce || this.retryTimer !== undefined) {
      return Promise.resolve(0);
    }
    const step = this.step;
    return this.lookupFriends().then(
      (visible) => {
        // A step begun since read the graph later than this one: it wins.
        if (this.closed || step !== this.step) return 0;
        // One still in flight from before read it earlier: its answer is dropped.
        this.step++;
        return this.subscribe(visible);
      },
      () => 0,
    );
  }

  /**
   * Stops seeing `users` at once (an edge was removed), without waiting for the graph: privacy
   * first. A re-read follows, which brings back anyone still visible by another edge.
   */
  unsubscribeNow(users: readonly UserId[]): void {
    if (this.closed) return;
    if (this.subscribedOnce) {
      const leaves = emptyPresenceMap();
      const gone = new Set<UserId>();
      for (const user of users) {
        if (user === this.userId || !this.parts.watchers.watches(this.socket, userTopic(user))) {
          continue;
        }
        this.stopWatching(user, leaves);
        gone.add(user);
      }
      if (gone.size > 0) this.friends = this.friends.filter((user) => !gone.has(user));
      if (!isEmptyMap(leaves))
        this.socket.emit('presence_diff', { joins: emptyPresenceMap(), leaves });
    }
    this.resubscribe();
  }

  /** The connection closed: no more steps, its admission slot and its friends' count freed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearRetry();
    this.releaseAdmission();
    this.parts.friendsOnline?.unwatch(this);
    const { watchers } = this.parts;
    const topicOf = userTopicNames(watchers);
    for (const topic of this.own ?? []) watchers.remove(topic, this.socket);
    for (const user of this.friends) watchers.remove(topicOf(user), this.socket);
    this.friends = [];
  }

  /** Brings what the socket watches in line with `visible`; returns the friends added or removed. */
  private subscribe(visible: Set<UserId>): number {
    const { stateFragments, friendsOnline, lastSeenPush, watchers } = this.parts;
    const topicOf = userTopicNames(watchers);
    if (!this.subscribedOnce) {
      const own: [string, string] = [userTopic(this.userId), selfTopic(this.userId)];
      const friends: UserId[] = [];
      for (const topic of own) this.watch(topic);
      for (const user of visible) {
        if (user === this.userId) continue;
        friends.push(user);
        this.watch(topicOf(user));
      }
      this.own = own;
      this.friends = friends;
      this.subscribedOnce = true;
      friendsOnline?.watch(this);
      sendPresenceState(this.socket, stateFragments, this.userId, own, visible, topicOf);
      lastSeenPush?.sendOffline(this.socket, visible);
      this.releaseAdmission();
      return 0;
    }
    let removed = 0;
    const joins = emptyPresenceMap();
    const leaves = emptyPresenceMap();
    const kept: UserId[] = [];
    const watching = new Set<UserId>();
    for (const user of this.friends) {
      if (visible.has(user)) {
        kept.push(user);
        watching.add(user);
        continue;
      }
      this.stopWatching(user, leaves);
      removed++;
    }
    const added: UserId[] = [];
    const { replica, wireRefs } = this.parts;
    for (const user of visible) {
      if (user === this.userId || watching.has(user)) continue;
      const topic = topicOf(user);
      this.watch(topic);
      added.push(user);
      kept.push(user);
      addMetas(joins, user, replica.view.get(topic, user), wireRefs);
    }
    this.friends = kept;
    if (!isEmptyMap(joins) || !isEmptyMap(leaves)) {
      this.socket.emit('presence_diff', { joins, leaves });
    }
    if (added.length > 0) lastSeenPush?.sendOffline(this.socket, added);
    return removed + added.length;
  }

  /** Starts watching `topic`: its queued changes are settled first (see fan-out.ts). */
  private watch(topic: string): void {
    this.parts.fanOut.settle(topic);
    this.parts.watchers.add(topic, this.socket);
  }

  /**
   * Leaves `user`'s topic and adds to `leaves` every meta of theirs this socket holds: the
   * tracker's, less the joins it is still owed, plus the leaves it is still owed (both taken out
   * of its outbox, so nothing of that topic is written to it afterwards).
   */
  private stopWatching(user: UserId, leaves: PresenceMap): void {
    const topic = userTopic(user);
    const { replica, fanOut, outboxes, wireRefs } = this.parts;
    fanOut.settle(topic);
    const owed = outboxes.withdraw(this.socket.id, user);
    const metas = replica.view.get(topic, user);
    addMetas(
      leaves,
      user,
      owed === undefined ? metas : metas.filter((p) => !owed.joined.has(wireRefs.of(p))),
      wireRefs,
    );
    if (owed !== undefined && owed.left.length > 0) {
      const slot = leaves[user];
      if (slot === undefined) leaves[user] = { metas: [...owed.left] };
      else slot.metas.push(...owed.left);
    }
    this.parts.watchers.remove(topic, this.socket);
  }

  private lookupFailed(error: unknown): void {
    const { graphRetry } = this.options;
    const { logger } = this.parts;
    // Retries wait in a timer: they hold no admission slot.
    this.releaseAdmission();
    this.failures++;
    const code = (error as { code?: unknown } | null)?.code;
    if (this.failures >= graphRetry.maxAttempts) {
      logger.warn(
        { err: error, code, user: this.userId, failures: this.failures },
        'friends graph lookup failed; giving up on this connection',
      );
      this.socket.emit('presence_error', {
        code: 'graph_unavailable',
        message: 'your friends list could not be loaded; disconnecting, reconnect later',
      });
      this.socket.disconnect(true);
      return;
    }
    const delay = backoffDelay(this.failures, graphRetry);
    logger.warn(
      { err: error, code, user: this.userId, failures: this.failures, retryInMs: delay },
      'friends graph lookup failed; retrying',
    );
    // The message names no user: a provider's own error text may mention other users.
    this.socket.emit('presence_error', {
      code: 'graph_unavailable',
      message: `your friends list could not be loaded; retrying in ${Math.ceil(delay / 1000)} s`,
    });
    this.retryTimer = this.parts.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.resubscribe();
    }, delay);
  }

  private lookupFriends(): Promise<Set<UserId>> {
    const { graph, clock } = this.parts;
    return lookupVisible(graph, this.userId, this.options.graphTimeoutMs, clock);
  }

  private releaseAdmission(): void {
    const release = this.admitted;
    this.admitted = undefined;
    release?.();
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) this.parts.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
