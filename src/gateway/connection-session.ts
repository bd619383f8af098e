/**
 * One connected socket: its tracked presence, its subscriptions and its `presence:update`s,
 * which also keep it counted in its count-only rooms only while it is visible.
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
import type { Meta } from '../core/index.js';
import type { FriendsOnline } from '../counts/friends-online.js';
import type { PresenceMap } from '../domain/client-protocol.js';
import { lookupVisible } from '../domain/graph-lookup.js';
import { MAX_META_BYTES, MAX_META_KEYS, metaSizeProblem } from '../domain/limits.js';
import type { PresenceSocket } from '../domain/presence-socket.js';
import { selfTopic, topicFor, USER_TOPIC_PREFIX, userTopic } from '../domain/topics.js';
import type { UserId } from '../ports/friends-graph.js';
import type { RoomMembership } from './count-room-events.js';
import type { DiffOutboxes } from './diff-outboxes.js';
import type { TopicSettler } from './fan-out.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';
import { moveConnection, trackedMeta, visibleAgainMeta } from './invisibility.js';
import { checkPatch } from './patch-validation.js';
import { sendPresenceState } from './presence-state-message.js';
import { failure, OK, readUpdateRequest } from './presence-update.js';
import { backoffDelay } from './retry-backoff.js';
import { TokenBucket } from './token-bucket.js';
import { userTopicNames } from './topic-names.js';
import { addMetas, emptyPresenceMap, isEmptyMap } from './wire-payload.js';

export class ConnectionSession {
  /**
   * True once the first state is sent. The friends seen are the socket's `user:` rooms (but its
   * own): not kept in a Set of its own too, which cost ≈ 2.5 KB per connection at 100 friends.
   */
  private subscribedOnce = false;
  private step = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Frees the admission slot: once the first state went out, the first lookup failed, or closed. */
  private admitted: (() => void) | undefined;
  private readonly bucket: TokenBucket;

  constructor(
    readonly userId: UserId,
    readonly socket: PresenceSocket,
    /** The connection's meta without `invisible` (where it is tracked says that). */
    private meta: Meta,
    private invisible: boolean,
    private readonly options: ResolvedGatewayOptions,
    /** What this socket is owed by the fan-out: withdrawn for a user it stops watching. */
    private readonly outboxes: DiffOutboxes,
    /** Topics are settled before this socket joins or leaves them (see fan-out.ts). */
    private readonly fanOut: TopicSettler,
    /**
     * This connection's count-only rooms: it is counted in them only while visible, so an update
     * that changes its visibility changes its counting there in the same step.
     */
    private readonly countRooms: Pick<RoomMembership, 'setCounted'>,
    /** Counts this connection's friends online as its subscription changes. */
    private readonly friendsOnline?: FriendsOnline,
    /**
     * The tracker connection id of a graced entry this connection takes over (leave-grace.ts):
     * it is then updated with this connection's meta instead of a new entry being tracked.
     */
    private readonly takenOver?: string,
  ) {
    this.bucket = new TokenBucket(
      options.rateLimit.perSecond,
      options.rateLimit.burst,
      options.now(),
    );
  }

  /** The connection id in the tracker: the socket's, or the graced entry's it took over. */
  get conn(): string {
    return this.takenOver ?? this.socket.id;
  }

  /** True while the connection is hidden from friends (tracked on `self:`). */
  get isInvisible(): boolean {
    return this.invisible;
  }

  /** True once the first `presence_state` went out. */
  get subscribed(): boolean {
    return this.subscribedOnce;
  }

  /**
   * Tracks the connection and starts the first subscription step. `admitted` is called once that
   * step is over (its state sent, or its lookup failed) or the connection closed.
   */
  start(admitted?: () => void): void {
    this.admitted = admitted;
    const { replica } = this.options;
    const topic = topicFor(this.userId, this.invisible);
    const meta = trackedMeta(this.meta, this.invisible);
    // A graced entry taken over: one update (friends see a meta change, not a leave and a join).
    if (this.takenOver === undefined || !replica.update(topic, this.userId, this.conn, meta).ok) {
      replica.track(topic, this.userId, this.conn, meta);
    }
    this.resubscribe();
  }

  /** Re-reads the graph and brings the rooms in line with it (a graph change or a retry). */
  resubscribe(): void {
    if (this.closed) return;
    const step = ++this.step;
    this.clearRetry();
    lookupVisible(this.options.graph, this.userId, this.options.graphTimeoutMs).then(
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
    return lookupVisible(this.options.graph, this.userId, this.options.graphTimeoutMs).then(
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
      this.friendsOnline?.unwatchSome(this, users);
      if (!isEmptyMap(leaves))
        this.socket.emit('presence_diff', { joins: emptyPresenceMap(), leaves });
    }
    this.resubscribe();
  }

  /**
   * The connection closed: untrack it (its leaves reach everyone through the tracker), unless
   * `untrack` is false (its entry stays for the leave grace, see leave-grace.ts).
   */
  close(untrack = true): void {
    if (this.closed) return;
    this.closed = true;
    this.clearRetry();
    this.releaseAdmission();
    this.friendsOnline?.unwatch(this);
    if (untrack) this.options.replica.untrackConnection(this.conn);
  }

  /** Handles `presence:update (patch, ack)`, whatever the client sent. */
  update(args: readonly unknown[]): void {
    const { logger, replica, now } = this.options;
    const request = readUpdateRequest(args, logger);
    if (this.closed) return;
    if (!this.bucket.take(now())) {
      request.reply(failure('rate_limited', 'too many presence updates; slow down and retry'));
      return;
    }
    const checked = checkPatch(request.patch);
    if (!checked.ok) {
      request.reply(failure('invalid_patch', checked.message));
      return;
    }
    const { invisible: wantInvisible, ...fields } = checked.patch;
    const invisible = typeof wantInvisible === 'boolean' ? wantInvisible : this.invisible;
    const patched: Meta = { ...this.meta, ...fields };
    const meta = this.invisible && !invisible ? visibleAgainMeta(patched, now()) : patched;
    // The gateway owns the client-facing bound on the whole meta (its `meta_too_large`); the
    // tracker then checks once that what it stores can be replicated (src/runtime/replicable-meta.ts).
    if (metaSizeProblem(meta, MAX_META_KEYS, MAX_META_BYTES) !== undefined) {
      request.reply(
        failure(
          'meta_too_large',
          `the presence meta would exceed ${MAX_META_KEYS} keys or ${MAX_META_BYTES} bytes`,
        ),
      );
      return;
    }
    const changed = invisible !== this.invisible || !sameFields(this.meta, meta);
    if (!changed) {
      request.reply(OK);
      return;
    }
    const ok =
      invisible === this.invisible
        ? replica.update(
            topicFor(this.userId, invisible),
            this.userId,
            this.conn,
            trackedMeta(meta, invisible),
          ).ok
        : moveConnection(replica, this.userId, this.conn, meta, invisible);
    if (!ok) {
      logger.error(
        { user: this.userId, conn: this.conn },
        'presence:update: connection not tracked',
      );
      request.reply(failure('internal', 'the presence could not be updated'));
      return;
    }
    this.meta = meta;
    this.invisible = invisible;
    this.countRooms.setCounted(!invisible);
    // This socket sees its own change before the ack, as an app awaiting the update expects.
    this.fanOut.settle(userTopic(this.userId));
    this.fanOut.settle(selfTopic(this.userId));
    this.outboxes.flushNow(this.socket.id);
    request.reply(OK);
  }

  // ── subscription steps ─────────────────────────────────────────────────────────────────────

  /** Brings the rooms in line with `visible`; returns the friends added or removed. */
  private subscribe(visible: Set<UserId>): number {
    const { view } = this.options.replica;
    const topicOf = userTopicNames(this.socket.nsp.adapter);
    if (!this.subscribedOnce) {
      const own: [string, string] = [userTopic(this.userId), selfTopic(this.userId)];
      const rooms = own.concat([...visible].map((user) => topicOf(user)));
      for (const topic of rooms) this.fanOut.settle(topic);
      this.socket.join(rooms);
      this.subscribedOnce = true;
      this.friendsOnline?.watch(this, this.userId, visible);
      sendPresenceState(
        this.socket,
        this.options.stateFragments,
        this.userId,
        own,
        visible,
        topicOf,
      );
      this.options.lastSeenPush?.sendOffline(this.socket, visible);
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
    for (const user of visible) {
      const topic = topicOf(user);
      if (this.socket.rooms.has(topic)) continue;
      this.fanOut.settle(topic);
      added.push(topic);
      addMetas(joins, user, view.get(topic, user), this.options.wireRefs);
    }
    if (added.length > 0) this.socket.join(added);
    this.friendsOnline?.watch(this, this.userId, visible);
    if (!isEmptyMap(joins) || !isEmptyMap(leaves)) {
      this.socket.emit('presence_diff', { joins, leaves });
    }
    if (added.length > 0) {
      this.options.lastSeenPush?.sendOffline(
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
    this.fanOut.settle(topic);
    const owed = this.outboxes.withdraw(this.socket.id, user);
    const { replica, wireRefs } = this.options;
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
    const { graphRetry, logger } = this.options;
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
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.resubscribe();
    }, delay);
    this.retryTimer.unref();
  }

  private releaseAdmission(): void {
    const release = this.admitted;
    this.admitted = undefined;
    release?.();
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

function sameFields(a: Meta, b: Meta): boolean {
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA) if (!Object.is(a[key], b[key])) return false;
  return true;
}
