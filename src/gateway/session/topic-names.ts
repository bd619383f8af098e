/**
 * One string per `user:<id>` room name on a namespace, shared by every socket that joins it.
 *
 * The adapter keeps, for each socket, a Set of the room names it joined: built fresh for every
 * connect, a connection's ~100 friends' names were ~100 strings of its own (≈ 3 KB per
 * connection, load/connect-cost-bench.ts). The cache holds one name per user while rooms come and
 * go; it is dropped whole when it grows well past the namespace's rooms (users whose rooms are
 * gone), so it needs no event from the adapter and stays bounded.
 */

import { userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';

interface RoomsHolder {
  readonly rooms: { readonly size: number };
}

/** Entries beyond twice the rooms (and this floor) mean stale names: the cache starts over. */
const MIN_CAPACITY = 1_024;

const caches = new WeakMap<RoomsHolder, Map<UserId, string>>();

/**
 * Names `user:<id>` rooms for one subscription step: the same string for every caller on this
 * adapter while it is cached. The bound is checked once per step, so a step naming thousands of
 * rooms before joining them keeps sharing.
 */
export function userTopicNames(adapter: RoomsHolder): (userId: UserId) => string {
  let names = caches.get(adapter);
  if (names === undefined || names.size > Math.max(MIN_CAPACITY, 2 * adapter.rooms.size)) {
    names = new Map();
    caches.set(adapter, names);
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
