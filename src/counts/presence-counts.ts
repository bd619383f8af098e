/**
 * Counts, answered on any node from what it maintains (the library's `presence.counts`):
 *
 * - `online()`: users online and their visible connections, cluster-wide. O(1): the tracker
 *   counts `user:` topics as they change. Invisible connections (tracked on `self:`) are not
 *   online, by design.
 * - `topic(topic)`: visible presences and distinct keys of one tracker topic. O(1).
 * - `friendsOnline(userId)`: friends of the user (as the graph lets them see) who are online.
 *   O(1) for a user connected to this node (maintained per subscription); otherwise the graph
 *   is asked and each friend looked up: O(friends), plus the graph's latency.
 * - `room(room)`: members of a count-only room, cluster-wide. O(nodes with members).
 */

import { USER_TOPIC_PREFIX, userTopic } from '../domain/topics.js';
import type { UserId } from '../domain/user-id.js';
import { userIdProblem } from '../domain/user-id.js';
import { InvalidInputError, PresenceError } from '../errors.js';
import type { Timers } from '../ports/clock.js';
import type { FriendsGraph } from '../ports/friends-graph.js';
import { lookupVisible } from '../ports/graph-lookup.js';
import type { TrackerView } from '../ports/presence-tracker.js';
import type { FriendsOnline } from './friends-online.js';
import type { RoomCounts } from './room-counts.js';
import { roomNameProblem } from './room-options.js';

export interface OnlineCounts {
  /** Users with at least one visible connection, cluster-wide. */
  readonly users: number;
  /** Visible connections, cluster-wide. */
  readonly connections: number;
}

export interface TopicCounts {
  /** Visible presences on the topic. */
  readonly presences: number;
  /** Distinct keys among them. */
  readonly keys: number;
}

export interface FriendsOnlineCount {
  readonly online: number;
  /**
   * `maintained`: the user is connected to this node and the number is its live counter;
   * `graph`: the graph was asked now and every friend looked up.
   */
  readonly source: 'maintained' | 'graph';
}

export interface CountSources {
  readonly state: TrackerView;
  readonly graph: FriendsGraph;
  readonly graphTimeoutMs: number;
  /** The server's timers (the graph lookup's deadline). @default the system's */
  readonly timers?: Timers;
  readonly friends: FriendsOnline;
  readonly rooms: RoomCounts;
}

export class PresenceCounts {
  constructor(private readonly sources: CountSources) {}

  online(): OnlineCounts {
    const counts = this.sources.state.prefixCounts(USER_TOPIC_PREFIX);
    if (counts === undefined) {
      throw new PresenceError(
        'PRESENCE_INVALID_OPTION',
        `counts.online: the tracker replica does not count online users; create it with countedTopicPrefixes: ['${USER_TOPIC_PREFIX}'] (createPresenceServer does)`,
      );
    }
    return { users: counts.topics, connections: counts.presences };
  }

  topic(topic: string): TopicCounts {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new InvalidInputError('counts.topic: the topic must be a non-empty string');
    }
    const { state } = this.sources;
    return { presences: state.count(topic), keys: state.keyCount(topic) };
  }

  async friendsOnline(userId: UserId): Promise<FriendsOnlineCount> {
    const problem = userIdProblem(userId);
    if (problem !== undefined) throw new InvalidInputError(`counts.friendsOnline: ${problem}`);
    const maintained = this.sources.friends.of(userId);
    if (maintained !== undefined) return { online: maintained, source: 'maintained' };
    const { graph, graphTimeoutMs, state, timers } = this.sources;
    let online = 0;
    for (const friend of await lookupVisible(graph, userId, graphTimeoutMs, timers)) {
      if (state.count(userTopic(friend)) > 0) online++;
    }
    return { online, source: 'graph' };
  }

  room(room: string): number {
    const problem = roomNameProblem(room);
    if (problem !== undefined) throw new InvalidInputError(`counts.room: ${problem}`);
    return this.sources.rooms.count(room);
  }
}
