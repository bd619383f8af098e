/**
 * The cap on one user's connections, cluster-wide. Every node's replica holds every node's
 * presences, and each connection is one entry on `user:<id>` (visible) or `self:<id>`
 * (invisible), so their count is the user's connections on all nodes, read locally at no cost.
 * Entries in their leave grace on this node do not count (a reconnect of their device takes them
 * over); graced entries on other nodes do, until their grace ends. Replication lags by up to a
 * broadcast period: handshakes on several nodes at once may pass the cap together.
 */
import type { Presence } from '../../core/index.js';
import { selfTopic, userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';
import type { PresenceTracker } from '../../ports/presence-tracker.js';

/**
 * `userId`'s tracked connections on every node, visible and invisible, but for those for which
 * `gracedHere(conn)` is true (own entries carry their connection id; remote ones do not).
 */
export function clusterConnections(
  replica: PresenceTracker,
  userId: UserId,
  gracedHere: (conn: string) => boolean,
): number {
  let count = 0;
  for (const topic of [userTopic(userId), selfTopic(userId)]) {
    for (const presence of replica.view.get(topic, userId)) {
      const conn = (presence as Presence & { readonly conn?: string }).conn;
      if (conn === undefined || !gracedHere(conn)) count++;
    }
  }
  return count;
}
