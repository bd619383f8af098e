/**
 * One connection's subscriptions: the friends it watches, in subscription steps.
 *
 * Subscriptions come only from the graph. A subscription step reads `visibleTo(user)` (async),
 * then, in one synchronous step, joins/leaves the socket.io rooms and reads the tracker for the
 * topics it changed, so no diff can fall between the read and the subscription: the first step
 * sends the whole `presence_state`, later ones (graph changes) a `presence_diff` with the new
 * friends' current metas as joins and the removed friends' as leaves. Because room membership and
 * fan-out are both synchronous on this node, what the client holds for a subscribed topic is
 * exactly the tracker's list for it at any step, which is what the leaves are built from.
 *
 * Steps are numbered: a lookup answered after a newer one started is dropped, so a slow answer
 * never undoes a newer graph change. A failed lookup sends `presence_error` to this socket only
 * and is retried with backoff; others are unaffected.
 */
import type { PresenceMap } from '../../domain/client-protocol.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import { selfTopic, USER_TOPIC_PREFIX, userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';
import { lookupVisible } from '../../ports/graph-lookup.js';
import { sendPresenceState } from '../outbound/presence-state-message.js';
import { addMetas, emptyPresenceMap, isEmptyMap } from '../outbound/wire-payload.js';
import { backoffDelay } from './retry-backoff.js';
import type { SessionCollaborators, SessionOptions } from './session-context.js';
import { userTopicNames } from './topic-names.js';

export class SessionSubscriptions {
  /**
   * True once the first state is sent. The friends seen are the socket's `user:` rooms (but its
   * own): not kept in a Set of its own too, which cost ≈ 2.5 KB per connection at 100 friends.
   */
  private subscribedOnce = false;
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
      for (const user of users) {
        const topic = userTopic(user);
        if (user === this.userId || !this.socket.rooms.has(topic)) continue;
        this.stopWatching(user, leaves);
      }
      this.parts.friendsOnline?.unwatchSome(this, users);
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
  }

  /** Brings the rooms in line with `visible`; returns the friends added or removed. */
  private subscribe(visible: Set<UserId>): number {
    const { fanOut, stateFragments, friendsOnline, lastSeenPush } = this.parts;
    const topicOf = userTopicNames(this.socket.nsp.adapter);
    if (!this.subscribedOnce) {
      const own: [string, string] = [userTopic(this.userId), selfTopic(this.userId)];
      const rooms = own.concat([...visible].map((user) => topicOf(user)));
      for (const topic of rooms) fanOut.settle(topic);
      this.socket.join(rooms);
      this.subscribedOnce = true;
      friendsOnline?.watch(this, this.userId, visible);
      sendPresenceState(this.socket, stateFragments, this.userId, own, visible, topicOf);
      lastSeenPush?.sendOffline(this.socket, visible);
      this.releaseAdmission();
      return 0;
    }
    let removed = 0;
    const joins = emptyPresenceMap();
    const leaves = emptyPresenceMap();
    const ownTopic = userTopic(this.userId);
    // Leaving deletes from the Set being iterated: entries not visited yet are still visited.
    for (const topic of this.socket.rooms) {
      if (!topic.startsWith(USER_TOPIC_PREFIX) || topic === ownTopic) continue;
      const user = topic.slice(USER_TOPIC_PREFIX.length);
      if (visible.has(user)) continue;
      this.stopWatching(user, leaves);
      removed++;
    }
    const added: string[] = [];
    const { replica, wireRefs } = this.parts;
    for (const user of visible) {
      const topic = topicOf(user);
      if (this.socket.rooms.has(topic)) continue;
      fanOut.settle(topic);
      added.push(topic);
      addMetas(joins, user, replica.view.get(topic, user), wireRefs);
    }
    if (added.length > 0) this.socket.join(added);
    friendsOnline?.watch(this, this.userId, visible);
    if (!isEmptyMap(joins) || !isEmptyMap(leaves)) {
      this.socket.emit('presence_diff', { joins, leaves });
    }
    if (added.length > 0) {
      lastSeenPush?.sendOffline(
        this.socket,
        added.map((topic) => topic.slice(USER_TOPIC_PREFIX.length)),
      );
    }
    return removed + added.length;
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
    this.socket.leave(topic);
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
