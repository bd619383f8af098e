/**
 * One channel of a node bus as a stand-alone transport whose close() closes the whole bus: for
 * tests that need a single BusChannel over Redis (the contract suite, process helpers).
 */

import type { BusChannel } from '../../src/ports/bus-channel.js';
import type { BusChannelKind, NodeBus } from '../../src/ports/node-bus.js';
import {
  createRedisNodeBus,
  type RedisNodeBusOptions,
} from '../../src/transports/redis-node-bus.js';

export function ownedChannel(bus: NodeBus, kind: BusChannelKind = 'tracker'): BusChannel {
  const channel = bus.channel(kind);
  return {
    selfId: channel.selfId,
    broadcast: (frame) => channel.broadcast(frame),
    sendTo: (replicaId, frame) => channel.sendTo(replicaId, frame),
    onFrame: (handler) => channel.onFrame(handler),
    onLinkChange: (handler) => channel.onLinkChange(handler),
    isLinkUp: () => channel.isLinkUp(),
    // The whole bus's counters (this channel's, and the bus's own drops), as its only user.
    stats: () => bus.stats(),
    close: () => bus.close(),
  };
}

/** The tracker channel of a Redis node bus of its own. */
export function redisBusChannel(options: RedisNodeBusOptions): BusChannel {
  return ownedChannel(createRedisNodeBus(options));
}
