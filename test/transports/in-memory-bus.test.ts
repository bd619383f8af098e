import { describe, expect, it } from 'vitest';
import { ownedChannel } from '../../load/support/bus-channel.js';
import { InvalidOptionError } from '../../src/errors.js';
import type { ReplicationTransport } from '../../src/ports/bus-channel.js';
import { createInMemoryBus, type InMemoryBus } from '../../src/transports/in-memory-bus.js';
import {
  describeTransportContract,
  type TransportTestBed,
} from '../contracts/replication-transport.contract.js';
import { waitFor } from '../support/wait-for.js';

function inMemoryTestBed(
  bus: InMemoryBus = createInMemoryBus(),
  open: (id: string) => ReplicationTransport = (id) => bus.createTransport(id),
): TransportTestBed {
  const opened: ReplicationTransport[] = [];
  const downIds = new Set<string>();
  return {
    async connect(ids) {
      const transports = ids.map(open);
      opened.push(...transports);
      return transports;
    },
    async takeLinkDown(id) {
      downIds.add(id);
      bus.setLinkUp(id, false);
    },
    async bringLinkUp(id) {
      downIds.delete(id);
      bus.setLinkUp(id, true);
    },
    async teardown() {
      for (const id of downIds) bus.setLinkUp(id, true);
      await Promise.all(opened.map((transport) => transport.close()));
    },
  };
}

describeTransportContract('in-memory (setImmediate)', () => inMemoryTestBed());
describeTransportContract('in-memory (queueMicrotask)', () =>
  inMemoryTestBed(createInMemoryBus({ schedule: queueMicrotask })),
);

describeTransportContract('in-memory node bus, delivery channel, with a cluster secret', () => {
  const bus = createInMemoryBus();
  return inMemoryTestBed(bus, (id) =>
    ownedChannel(
      bus.createNodeBus(id, { clusterSecret: 'in-memory-cluster-secret-32-bytes!' }),
      'delivery',
    ),
  );
});

describe('in-memory bus', () => {
  it('refuses a second open transport with the same id, and invalid ids', () => {
    const bus = createInMemoryBus();
    bus.createTransport('a');
    expect(() => bus.createTransport('a')).toThrow(InvalidOptionError);
    expect(() => bus.createTransport('')).toThrow(InvalidOptionError);
    expect(() => bus.createTransport('x'.repeat(256))).toThrow(InvalidOptionError);
  });

  it('lists open members and forgets closed ones', async () => {
    const bus = createInMemoryBus();
    const a = bus.createTransport('a');
    bus.createTransport('b');
    await a.close();
    expect(bus.memberIds()).toEqual(['b']);
  });

  it('a transport created while its id is cut off starts with the link down', async () => {
    const bus = createInMemoryBus();
    bus.setLinkUp('late', false);
    const late = bus.createTransport('late');
    const events: boolean[] = [];
    late.onLinkChange((up) => events.push(up));
    expect(late.isLinkUp()).toBe(false);
    bus.setLinkUp('late', true);
    expect(events).toEqual([true]);
    await late.close();
  });

  it('a frame in flight when the receiver goes down is dropped and counted', async () => {
    const bus = createInMemoryBus();
    const a = bus.createTransport('a');
    const b = bus.createTransport('b');
    const received: Uint8Array[] = [];
    b.onFrame((frame) => received.push(frame));
    a.broadcast(Uint8Array.of(1));
    bus.setLinkUp('b', false);
    await waitFor(() => b.stats().framesDroppedLinkDown === 1, { description: 'the drop' });
    expect(received).toEqual([]);
  });
});
