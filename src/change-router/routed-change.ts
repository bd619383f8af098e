/**
 * A tracker change as the change router hands it to its consumers: grouped by topic once, so no
 * consumer regroups it (a user's presences are on their `user:` and `self:` topics, keyed by their
 * id; a count-only room's on its `count:` topic).
 */
import type { Presence, PresenceChange } from '../core/index.js';

/** One topic's share of a change, in the tracker's order. */
export interface TopicDiff {
  readonly joins: readonly Presence[];
  readonly leaves: readonly Presence[];
}

export interface RoutedChange {
  /** The change as the tracker reported it. */
  readonly change: PresenceChange;
  /** Each topic the change touches, once, in the order first met (joins, then leaves). */
  readonly topics: ReadonlyMap<string, TopicDiff>;
  /**
   * How long the fan-out consumer took on this change (seconds), for the consumers after it (the
   * metrics); undefined before it ran or when there is none.
   */
  readonly fanOutSeconds: number | undefined;
}

/** Groups `change` by topic: O(presences), one Map. */
export function groupByTopic(change: PresenceChange): Map<string, TopicDiff> {
  const topics = new Map<string, { joins: Presence[]; leaves: Presence[] }>();
  const diffOf = (topic: string) => {
    let diff = topics.get(topic);
    if (diff === undefined) {
      diff = { joins: [], leaves: [] };
      topics.set(topic, diff);
    }
    return diff;
  };
  for (const presence of change.joins) diffOf(presence.topic).joins.push(presence);
  for (const presence of change.leaves) diffOf(presence.topic).leaves.push(presence);
  return topics;
}

/** `change` as a consumer gets it, before the fan-out ran (for tests and benches of a consumer). */
export function routedChange(change: PresenceChange): RoutedChange {
  return { change, topics: groupByTopic(change), fanOutSeconds: undefined };
}
