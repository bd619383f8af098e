/**
 * Topic names, which are also the socket.io room names of the gateway. Clients never name a topic:
 * the server derives every subscription from the authenticated user and the friends graph.
 *
 * - `user:<id>`: the user's visible connections. Joined by the user's own sockets and by the
 *   sockets of every user who may see them.
 * - `self:<id>`: the user's invisible connections. Joined by the user's own sockets only, so an
 *   invisible connection reaches nobody else, on any node, without any per-socket filtering
 *   (see src/gateway/session/invisibility.ts).
 *
 * The prefixes cannot collide with socket.io's own per-socket rooms (socket ids have no `:`).
 */
import type { UserId } from './user-id.js';

/** The prefix of visible users' topics: the tracker counts these as the online users. */
export const USER_TOPIC_PREFIX = 'user:';

export function userTopic(userId: UserId): string {
  return USER_TOPIC_PREFIX + userId;
}

const SELF_TOPIC_PREFIX = 'self:';

export function selfTopic(userId: UserId): string {
  return SELF_TOPIC_PREFIX + userId;
}

/** The topic a connection of `userId` is tracked on. */
export function topicFor(userId: UserId, invisible: boolean): string {
  return invisible ? selfTopic(userId) : userTopic(userId);
}

/**
 * Whether an entry's key may appear on `topic`: on `user:<id>` and `self:<id>` only the key `<id>`.
 * Every node tracks exactly that; an entry that breaks it came from a forged or buggy peer and
 * would show one user's presence under another's topic, to the other's friends.
 */
export function topicOwnsKey(topic: string, key: string): boolean {
  if (topic.startsWith(USER_TOPIC_PREFIX))
    return topic.length === USER_TOPIC_PREFIX.length + key.length && topic.endsWith(key);
  if (topic.startsWith(SELF_TOPIC_PREFIX))
    return topic.length === SELF_TOPIC_PREFIX.length + key.length && topic.endsWith(key);
  return true;
}
