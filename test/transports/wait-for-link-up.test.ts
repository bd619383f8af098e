import { describe, expect, it } from 'vitest';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { waitForLinkUp } from '../../src/transports/wait-for-link-up.js';

describe('waitForLinkUp', () => {
  it('resolves at once when the link is up, or on the first link up', async () => {
    const bus = createInMemoryBus();
    await waitForLinkUp(bus.createTransport('up'), 1_000);
    bus.setLinkUp('late', false);
    const late = bus.createTransport('late');
    const waiting = waitForLinkUp(late, 60_000);
    bus.setLinkUp('late', true);
    await waiting;
  });

  it('rejects with PRESENCE_TRANSPORT_UNAVAILABLE when the link never comes', async () => {
    const bus = createInMemoryBus();
    bus.setLinkUp('cut', false);
    await expect(waitForLinkUp(bus.createTransport('cut'), 1)).rejects.toMatchObject({
      name: 'TransportError',
      code: 'PRESENCE_TRANSPORT_UNAVAILABLE',
    });
  });
});
