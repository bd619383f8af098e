/**
 * What a session is built with, in three parts: the connection's own (who, its socket, what it
 * was admitted with), the gateway's options for every session (plain values, resolved once), and
 * the gateway's collaborators (the runtime objects every session works with). All are given at
 * construction: nothing is set on a session afterwards.
 */
import type { Meta } from '../../core/index.js';
import type { FriendsOnline } from '../../counts/friends-online.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import type { UserId } from '../../domain/user-id.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { FriendsGraph } from '../../ports/friends-graph.js';
import type { Logger } from '../../ports/logger.js';
import type { PresenceTracker } from '../../ports/presence-tracker.js';
import type { RateLimitOptions } from '../edge/token-bucket.js';
import type { DiffOutboxes } from '../outbound/diff-outboxes.js';
import type { TopicSettler } from '../outbound/fan-out.js';
import type { LastSeenPush } from '../outbound/last-seen-push.js';
import type { PresenceStateFragments } from '../outbound/presence-state-message.js';
import type { TopicWatchers } from '../outbound/topic-watchers.js';
import type { WireRefs } from '../outbound/wire-refs.js';
import type { RoomMembership } from './count-room-events.js';
import type { GraphRetryOptions } from './retry-backoff.js';

/** One connection, as admitted by the edge. */
export interface SessionConnection {
  readonly userId: UserId;
  readonly socket: PresenceSocket;
  /** The connection's meta without `invisible` (where it is tracked says that). */
  readonly meta: Meta;
  readonly invisible: boolean;
  /**
   * This connection's count-only rooms: it is counted in them only while visible, so an update
   * that changes its visibility changes its counting there in the same step.
   */
  readonly countRooms: Pick<RoomMembership, 'setCounted'>;
  /**
   * The tracker connection id of a graced entry this connection takes over (leave-grace.ts):
   * it is then updated with this connection's meta instead of a new entry being tracked.
   */
  readonly takenOver?: string;
}

/** The gateway's options every session reads: plain values. */
export interface SessionOptions {
  /** How long a `visibleTo` call may take before it counts as failed. */
  readonly graphTimeoutMs: number;
  /** Retries of a failed graph lookup. */
  readonly graphRetry: Required<GraphRetryOptions>;
  /** `presence:update`s per connection. */
  readonly rateLimit: Required<RateLimitOptions>;
}

/** The runtime objects every session of a gateway works with. */
export interface SessionCollaborators {
  /** Where the connection is tracked; its view is what subscription steps read. */
  readonly replica: PresenceTracker;
  /** Whom each user may see. */
  readonly graph: FriendsGraph;
  readonly logger: Logger;
  /** Wall clock in ms since the epoch (`online_at`, rate limiting). */
  readonly now: () => number;
  /** The server's clock: the graph lookup's deadline and the retry timer. */
  readonly clock: Clock & Timers;
  /** How presences are named on the wire. */
  readonly wireRefs: WireRefs;
  /** The gateway's `presence_state` fragments (its tracker view, its ref key). */
  readonly stateFragments: PresenceStateFragments;
  /** What each socket is owed by the fan-out: withdrawn for a user it stops watching. */
  readonly outboxes: DiffOutboxes;
  /** Topics are settled before a socket starts or stops watching them (see fan-out.ts). */
  readonly fanOut: TopicSettler;
  /** Which sockets here watch each topic: what the fan-out reads. */
  readonly watchers: TopicWatchers;
  /** Counts each connection's friends online as its subscription changes. */
  readonly friendsOnline?: FriendsOnline;
  /** Sends friends' last seen after a state or a join, when there is a last-seen store. */
  readonly lastSeenPush?: LastSeenPush;
}

/**
 * A connection's presence as tracked, shared by its session's parts: the meta (without
 * `invisible`) and where it is tracked. Only `presence:update` changes it.
 */
export interface TrackedPresence {
  meta: Meta;
  invisible: boolean;
}
