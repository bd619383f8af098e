/**
 * The graph change relay over a replication transport: a graphology graph edited on one node
 * is edited on the other; bad frames are dropped and counted, never applied.
 */
import { describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import {
  createTransportGraphChangeRelay,
  decodeEdgeChange,
} from '../../graph-adapters/graphology/transport-change-relay.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { waitFor } from '../support/wait-for.js';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('transport graph change relay', () => {
  it('carries edge changes between two in-memory graphs, never echoing them back', async () => {
    const bus = createInMemoryBus();
    const relay1 = createTransportGraphChangeRelay(bus.createTransport('n1'));
    const relay2 = createTransportGraphChangeRelay(bus.createTransport('n2'));
    const graph1 = new GraphologyFriendsGraph({ relay: relay1 });
    const graph2 = new GraphologyFriendsGraph({ relay: relay2 });
    await graph1.addEdge('alice', 'bob');
    await waitFor(async () => (await graph2.visibleTo('alice')).includes('bob'));
    await graph2.addEdge('carol', 'dave', { directed: true });
    await waitFor(async () => (await graph1.visibleTo('carol')).includes('dave'));
    expect(await graph1.visibleTo('dave')).toEqual([]);
    await graph1.removeEdge('alice', 'bob');
    await waitFor(async () => (await graph2.visibleTo('alice')).length === 0);
    await graph1.close();
    await graph2.close();
  });

  it('drops and counts frames that are not edge changes', async () => {
    const bus = createInMemoryBus();
    const sender = bus.createTransport('sender');
    const relay = createTransportGraphChangeRelay(bus.createTransport('receiver'));
    const received: unknown[] = [];
    relay.subscribe((change) => received.push(change));
    const bad = [
      new Uint8Array([0xff, 0xfe]),
      encode([1, 2]),
      encode({ kind: 'reset' }),
      encode({ kind: 'edge-added', source: '', target: 'b', directed: false }),
      encode({ kind: 'edge-added', source: 'a', target: 'a', directed: false }),
      encode({ kind: 'edge-added', source: 'a', target: 'b' }),
    ];
    for (const frame of bad) sender.broadcast(frame);
    sender.broadcast(encode({ kind: 'edge-added', source: 'a', target: 'b', directed: false }));
    await waitFor(() => received.length === 1 && relay.droppedFrames === bad.length);
    expect(received).toEqual([{ kind: 'edge-added', source: 'a', target: 'b', directed: false }]);
  });

  it('decodeEdgeChange keeps only the EdgeChange fields', () => {
    const frame = encode({ kind: 'edge-removed', source: 'a', target: 'b', directed: true, x: 1 });
    expect(decodeEdgeChange(frame)).toEqual({
      kind: 'edge-removed',
      source: 'a',
      target: 'b',
      directed: true,
    });
  });
});
