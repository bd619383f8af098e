/**
 * Waits for a transport's first link up, for startup code that must not serve before it can
 * replicate (or must fail clearly when the bus is unreachable).
 */

import { TransportError } from '../errors.js';
import type { BusChannel } from '../ports/bus-channel.js';
import { systemTimers } from '../ports/clock.js';

/**
 * Resolves when `transport.isLinkUp()`, at once if it already is.
 * @throws TransportError `PRESENCE_TRANSPORT_UNAVAILABLE` after `timeoutMs` without a link.
 */
export function waitForLinkUp(transport: BusChannel, timeoutMs: number): Promise<void> {
  if (transport.isLinkUp()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = systemTimers.setTimeout(() => {
      unsubscribe();
      reject(
        new TransportError(
          'PRESENCE_TRANSPORT_UNAVAILABLE',
          `replication transport "${transport.selfId}": no link after ${timeoutMs} ms; check that the Redis URL is reachable.`,
        ),
      );
    }, timeoutMs);
    const unsubscribe = transport.onLinkChange((up) => {
      if (!up) return;
      systemTimers.clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}
