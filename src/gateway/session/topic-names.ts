/**
 * One string per `user:<id>` topic name, shared by every session that watches it.
 *
 * Built fresh for every connect, a connection's ~100 friends' names were ~100 strings of its own
 * (≈ 3 KB per connection, load/connect-cost-bench.ts). The cache holds one name per user while
 * topics come and go; it is dropped whole when it grows well past the watched topics (users no
 * longer watched), so it needs no event from the index and stays bounded.
 */

import { userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';

/** The index of watched topics (outbound/topic-watchers.ts): its size bounds the cache. */
interface TopicsHolder {
  readonly size: number;
}

/** Entries beyond twice the watched topics (and this floor) mean stale names: the cache starts over. */
const MIN_CAPACITY = 1_024;

const caches = new WeakMap<TopicsHolder, Map<UserId, string>>();

/**
 * Names `user:<id>` topics for one subscription step: the same string for every caller on this
 * index while it is cached. The bound is checked once per step, so a step naming thousands of
 * topics before watching them keeps sharing.
 */
export function userTopicNames(topics: TopicsHolder): (userId: UserId) => string {
  let names = caches.get(topics);
  if (names === undefined || names.size > Math.max(MIN_CAPACITY, 2 * topics.size)) {
    names = new Map();
    caches.set(topics, names);
  }
  const cache = names;
  return (userId) => {
    let name = cache.get(userId);
    if (name === undefined) {
      name = userTopic(userId);
      cache.set(userId, name);
    }
    return name;
  };
}
