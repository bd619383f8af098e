/**
 * Creating and closing the ioredis connections the Redis transport owns (when given a URL).
 * Injected clients never pass through here: their lifecycle belongs to the caller.
 */

import type { Redis, RedisOptions } from 'ioredis';
import { systemTimers } from '../ports/clock.js';
import { createRedisClient } from './redis-url.js';

export interface ClientPair {
  readonly publisher: Redis;
  readonly subscriber: Redis;
}

/**
 * Two connections, because a connection in subscriber mode cannot publish.
 * The publisher fails fast instead of queueing while disconnected: a frame queued during an
 * outage would arrive stale, and replication recovers lost frames by transfer anyway.
 */
export function createOwnedClients(
  url: string,
  redisOptions: RedisOptions,
  connectionLabel: string,
): ClientPair {
  const shared: RedisOptions = { ...redisOptions, autoResendUnfulfilledCommands: false };
  return {
    publisher: createRedisClient(url, {
      ...shared,
      enableOfflineQueue: false,
      connectionName: `${connectionLabel}:pub`,
    }),
    subscriber: createRedisClient(url, { ...shared, connectionName: `${connectionLabel}:sub` }),
  };
}

/** CLIENT SETNAME rejects spaces and control characters; keep names printable. */
export function toConnectionLabel(prefix: string, selfId: string): string {
  return `${prefix}:${selfId}`.replace(/[^!-~]/g, '_');
}

const END_TIMEOUT_MS = 2_000;

/** Quits politely when connected (pending publishes are flushed first), else disconnects. */
export async function closeOwnedClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  const ended = waitForEnd(client);
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
  // Waiting in 'reconnecting' would hang: disconnect() cancelled the retry and no socket is open.
  if (!hasSocket(client)) {
    ended.cancel();
    return;
  }
  await ended.promise;
}

function hasSocket(client: Redis): boolean {
  return client.status === 'connecting' || client.status === 'connect' || client.status === 'ready';
}

function waitForEnd(client: Redis): { promise: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const promise = new Promise<void>((resolve) => {
    const onEnd = () => {
      systemTimers.clearTimeout(timer);
      resolve();
    };
    // Bounded: a socket that never reports its end is destroyed rather than awaited forever.
    const timer = systemTimers.setTimeout(() => {
      client.off('end', onEnd);
      client.disconnect();
      resolve();
    }, END_TIMEOUT_MS);
    client.once('end', onEnd);
    cancel = () => {
      systemTimers.clearTimeout(timer);
      client.off('end', onEnd);
      resolve();
    };
  });
  return { promise, cancel };
}
