/**
 * `query(userIds, { as? })`: the presence of up to 1,000 users, read from this node's replica of
 * the tracker, which holds every node's presences: no fan-out to other nodes, no round trip.
 * O(ids + their connections), plus with `as` one friends-graph lookup for the viewer.
 *
 * - Without `as`, the backend's view: a user's visible connections (`user:<id>`). An invisible
 *   connection is not there, so a user who is invisible on every device is offline here too: the
 *   answer is the same as for a user who is not connected, and reveals no invisibility.
 * - With `as: viewer`, exactly what the viewer's own client holds after `presence_state` (see
 *   gateway/session/subscriptions.ts): the viewer themself with all their connections, invisible
 *   ones too (their own devices see them); users `graph.visibleTo(viewer)` names, with their
 *   visible connections; anyone else offline, the same answer as an offline friend, so a query
 *   cannot tell a non-friend from a friend who is not there.
 */
import type { Presence } from '../core/index.js';
import { selfTopic, userTopic } from '../domain/topics.js';
import type { UserId } from '../domain/user-id.js';
import { type LastSeenReads, visibleLastSeen } from '../last-seen/last-seen-reads.js';
import type { Timers } from '../ports/clock.js';
import type { FriendsGraph } from '../ports/friends-graph.js';
import { lookupVisible } from '../ports/graph-lookup.js';
import type { TrackerView } from '../ports/presence-tracker.js';
import { checkQuery, type QueryOptions } from './query-input.js';
import { OFFLINE, type UserPresence, userPresence } from './user-presence.js';

/** Each user asked about → their presence, in the order first asked (duplicates once). */
export type PresenceQueryResult = ReadonlyMap<UserId, UserPresence>;

export type QueryPresence = (
  userIds: readonly UserId[],
  options?: QueryOptions,
) => Promise<PresenceQueryResult>;

export interface PresenceQuerySources {
  readonly state: TrackerView;
  readonly graph: FriendsGraph;
  readonly graphTimeoutMs: number;
  /** The server's timers (the graph lookup's deadline). @default the system's */
  readonly timers?: Timers;
  /** The last-seen store's reads; without it every `lastSeen` is null. */
  readonly lastSeen?: LastSeenReads;
}

export class PresenceQuery {
  constructor(private readonly sources: PresenceQuerySources) {}

  /**
   * Rejects with an InvalidQueryError (bad arguments) or, with `as`, a GraphProviderError when
   * the friends graph does not answer within the graph timeout.
   */
  readonly query: QueryPresence = async (userIds, options) => {
    const checked = checkQuery(userIds, options);
    const { graph, graphTimeoutMs, timers } = this.sources;
    const visible =
      checked.viewer === undefined
        ? undefined
        : await lookupVisible(graph, checked.viewer, graphTimeoutMs, timers);
    // The replica in one synchronous step: the answer is its state as of now.
    const answer = new Map<UserId, UserPresence>();
    for (const user of checked.userIds) {
      answer.set(user, this.presenceOf(user, checked.viewer, visible));
    }
    await this.addLastSeen(answer, checked.viewer);
    return answer;
  };

  /**
   * Fills in the last seen of the answer's offline users, in one store read for them alone: the
   * backend sees every recorded one; a viewer their own, and those of users they may see who show
   * it to friends (anyone else is already OFFLINE for them, with no read).
   */
  private async addLastSeen(
    answer: Map<UserId, UserPresence>,
    viewer: UserId | undefined,
  ): Promise<void> {
    const { lastSeen } = this.sources;
    if (lastSeen === undefined) return;
    const offline = [...answer].flatMap(([user, presence]) =>
      presence.online || presence === OFFLINE_UNSEEN ? [] : [user],
    );
    if (offline.length === 0) return;
    const records = await lastSeen.read(offline);
    for (const user of offline) {
      const at =
        viewer === undefined || user === viewer
          ? (records?.get(user)?.lastSeen ?? null)
          : visibleLastSeen(records, user);
      if (at !== null) answer.set(user, { ...answer.get(user)!, lastSeen: at });
    }
  }

  private presenceOf(
    user: UserId,
    viewer: UserId | undefined,
    visible: ReadonlySet<UserId> | undefined,
  ): UserPresence {
    const { state } = this.sources;
    if (user === viewer) {
      return userPresence(ownPresences(state, user));
    }
    if (visible !== undefined && !visible.has(user)) return OFFLINE_UNSEEN;
    return userPresence(state.get(userTopic(user), user));
  }
}

/**
 * A user the viewer may not see: the same answer as an offline friend (OFFLINE's fields), but its
 * own object so their last seen is never read.
 */
const OFFLINE_UNSEEN: UserPresence = Object.freeze({ ...OFFLINE });

/** A user's visible and invisible connections: what their own devices see of them. */
function ownPresences(state: TrackerView, user: UserId): Presence[] {
  const visible = state.get(userTopic(user), user);
  const hidden = state.get(selfTopic(user), user);
  return hidden.length === 0 ? visible : visible.concat(hidden);
}
