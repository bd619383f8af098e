/**
 * Topic names, which are also the socket.io room names of the gateway. Clients never name a topic:
 * the server derives every subscription from the authenticated user and the friends graph.
 *
 * - `user:<id>`: the user's visible connections. Joined by the user's own sockets and by the
 *   sockets of every user who may see them.
 * - `self:<id>`: the user's invisible connections. Joined by the user's own sockets only, so an
 *   invisible connection reaches nobody else, on any node, without any per-socket filtering
 *   (see invisibility.ts).
 *
 * The prefixes cannot collide with socket.io's own per-socket rooms (socket ids have no `:`).
 */
import type { UserId } from '../ports/friends-graph.js';

/** The prefix of visible users' topics: the tracker counts these as the online users. */
export const USER_TOPIC_PREFIX = 'user:';

export function userTopic(userId: UserId): string {
  return USER_TOPIC_PREFIX + userId;
}

export function selfTopic(userId: UserId): string {
  return `self:${userId}`;
}

/** The topic a connection of `userId` is tracked on. */
export function topicFor(userId: UserId, invisible: boolean): string {
  return invisible ? selfTopic(userId) : userTopic(userId);
}
