/**
 * Redis pub/sub channel names of one replication network.
 *
 * One broadcast channel that every replica subscribes to, and one direct channel per replica.
 * The prefix separates networks (clusters, test runs) sharing one Redis.
 */

export const DEFAULT_CHANNEL_PREFIX = 'graph-presence';

export function broadcastChannel(prefix: string): string {
  return `${prefix}:bcast`;
}

export function directChannel(prefix: string, replicaId: string): string {
  return `${prefix}:to:${replicaId}`;
}
