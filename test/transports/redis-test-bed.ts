/**
 * The transport contract's test bed on a real redis-server (the tracker channel of one node bus
 * per id, with a cluster secret): a link outage is the server stopped,
 * its end the server started again on the same port. Each bed has its own channel prefix.
 */

import { randomUUID } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
import { redisBusChannel } from '../../load/support/bus-channel.js';
import type { ReplicationTransport } from '../../src/ports/bus-channel.js';
import type { TransportTestBed } from '../contracts/replication-transport.contract.js';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

/** Reconnect quickly so outage tests stay short; production keeps ioredis's default backoff. */
export const fastReconnect: RedisOptions = {
  retryStrategy: (attempt: number) => Math.min(attempt * 20, 200),
};

const LINK_TIMEOUT_MS = 10_000;

export const TEST_CLUSTER_SECRET = 'test-cluster-secret-of-32-bytes!!';

export function redisTestBed(server: () => RedisServer): TransportTestBed {
  const channelPrefix = `test-${randomUUID()}`;
  const open = new Set<ReplicationTransport>();
  const allUp = async () => {
    await waitFor(() => [...open].every((transport) => transport.isLinkUp()), {
      timeoutMs: LINK_TIMEOUT_MS,
      description: 'every open link up',
    });
  };
  return {
    async connect(ids) {
      const transports = ids.map((selfId) => {
        const transport = redisBusChannel({
          selfId,
          url: server().url,
          channelPrefix,
          redisOptions: fastReconnect,
          // Every frame of the contract is then signed and checked.
          clusterSecret: TEST_CLUSTER_SECRET,
        });
        const tracked = trackClose(transport, () => open.delete(tracked));
        return tracked;
      });
      for (const transport of transports) open.add(transport);
      await allUp();
      return transports;
    },
    async takeLinkDown() {
      await server().stop();
      await waitFor(() => [...open].every((transport) => !transport.isLinkUp()), {
        timeoutMs: LINK_TIMEOUT_MS,
        description: 'every open link down',
      });
    },
    async bringLinkUp() {
      await server().start();
      await allUp();
    },
    async teardown() {
      if (!server().isRunning()) await server().start();
      await Promise.all([...open].map((transport) => transport.close()));
    },
  };
}

/** The same transport, telling the bed when the test closes it (closed links stay down). */
function trackClose(transport: ReplicationTransport, onClose: () => void): ReplicationTransport {
  return {
    selfId: transport.selfId,
    broadcast: (frame) => transport.broadcast(frame),
    sendTo: (replicaId, frame) => transport.sendTo(replicaId, frame),
    onFrame: (handler) => transport.onFrame(handler),
    onLinkChange: (handler) => transport.onLinkChange(handler),
    isLinkUp: () => transport.isLinkUp(),
    stats: () => transport.stats(),
    close: () => {
      onClose();
      return transport.close();
    },
  };
}
