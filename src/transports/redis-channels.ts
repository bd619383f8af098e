/**
 * Redis pub/sub channel names of one replication network.
 *
 * One broadcast channel that every replica subscribes to, and one direct channel per replica.
 * The prefix separates networks (clusters, test runs) sharing one Redis (pub/sub ignores the
 * database number). Without a prefix given, a cluster with a secret uses one derived from it,
 * so that clusters with different secrets never even read each other's frames.
 */
import { createHmac } from 'node:crypto';

export const DEFAULT_CHANNEL_PREFIX = 'graph-presence';

/** The label the derived prefix's tag is an HMAC of; the tag says nothing about the secret. */
const PREFIX_TAG_LABEL = 'graph-presence channel prefix v1';

/**
 * The default prefix of a cluster keyed with `secret`: `graph-presence-` and 12 hex digits of
 * HMAC-SHA256(secret, a fixed label); `graph-presence` without a secret.
 */
export function defaultChannelPrefix(secret: Uint8Array | undefined): string {
  if (secret === undefined) return DEFAULT_CHANNEL_PREFIX;
  const tag = createHmac('sha256', secret).update(PREFIX_TAG_LABEL).digest('hex').slice(0, 12);
  return `${DEFAULT_CHANNEL_PREFIX}-${tag}`;
}

export function broadcastChannel(prefix: string): string {
  return `${prefix}:bcast`;
}

export function directChannel(prefix: string, replicaId: string): string {
  return `${prefix}:to:${replicaId}`;
}
