/** A transport wrapper for tests: drops the direct frames a predicate picks (a lost answer). */
import type { ReplicationTransport } from '../../../src/ports/bus-channel.js';

export function droppingSends(
  transport: ReplicationTransport,
  drop: (to: string, frame: Uint8Array) => boolean,
): ReplicationTransport {
  return new Proxy(transport, {
    get(target, property, receiver) {
      if (property === 'sendTo') {
        return (to: string, frame: Uint8Array) => {
          if (!drop(to, frame)) target.sendTo(to, frame);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
