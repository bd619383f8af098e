/**
 * The cap on one user's connections, cluster-wide. Every node's replica holds every node's
 * presences, and each connection is one entry on `user:<id>` (visible) or `self:<id>`
 * (invisible), so their count is the user's connections on all nodes, read locally at no cost.
 * Entries in their leave grace count too (they are still online for friends). Replication lags
 * by up to a broadcast period: handshakes on several nodes at once may pass the cap together.
 */
import type { UserId } from '../ports/friends-graph.js';
import type { TrackerReplica } from '../runtime/tracker-replica.js';
import { selfTopic, userTopic } from './topics.js';

/** `userId`'s tracked connections on every node: visible and invisible, graced included. */
export function clusterConnections(replica: TrackerReplica, userId: UserId): number {
  const { state } = replica;
  return state.get(userTopic(userId), userId).length + state.get(selfTopic(userId), userId).length;
}
