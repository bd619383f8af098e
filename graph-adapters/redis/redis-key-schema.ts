/**
 * Where the Redis adapter keeps the graph (see graph-adapters/README.md, "Redis key schema").
 *
 *   <prefix>friends:<user>   SET of users with an undirected edge to <user> (kept symmetric)
 *   <prefix>follows:<user>   SET of targets of directed edges from <user>
 *   <prefix>changes          pub/sub channel carrying one JSON change per message
 *
 * The prefix and kind are fixed, so the rest of the key is the raw id (`:` included).
 */

export const DEFAULT_KEY_PREFIX = 'graph-presence:';

export interface RedisKeySchema {
  friendsKey(userId: string): string;
  followsKey(userId: string): string;
  readonly changesChannel: string;
}

export function createKeySchema(prefix: string = DEFAULT_KEY_PREFIX): RedisKeySchema {
  return {
    friendsKey: (userId) => `${prefix}friends:${userId}`,
    followsKey: (userId) => `${prefix}follows:${userId}`,
    changesChannel: `${prefix}changes`,
  };
}
