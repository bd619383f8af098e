/** Two graphology adapters, one per simulated node, wired through an in-process relay. */
import { describe, expect, it } from 'vitest';
import { createDemoGraph, GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { hasEdgeChange, recordChanges } from '../contracts/change-recorder.js';
import { createRelayHub } from './in-process-relay.js';

function twoNodes() {
  const hub = createRelayHub();
  const nodeA = new GraphologyFriendsGraph({ graph: createDemoGraph(), relay: hub.connect() });
  const nodeB = new GraphologyFriendsGraph({ graph: createDemoGraph(), relay: hub.connect() });
  return { nodeA, nodeB };
}

describe('graphology adapter in a cluster', () => {
  it('carries a change made on one node to the other, which reports it to its listeners', async () => {
    const { nodeA, nodeB } = twoNodes();
    const onB = recordChanges(nodeB);
    await nodeA.addEdge('oscar', 'alice');
    await onB.waitFor((changes) => hasEdgeChange(changes, 'edge-added', 'oscar', 'alice'));
    expect(await nodeB.visibleTo('oscar')).toEqual(['alice']);
    expect(await nodeB.visibleTo('alice')).toContain('oscar');

    const onA = recordChanges(nodeA);
    await nodeB.removeEdge('alice', 'bob');
    await onA.waitFor((changes) => hasEdgeChange(changes, 'edge-removed', 'alice', 'bob'));
    expect(await nodeA.visibleTo('alice')).not.toContain('bob');
    await Promise.all([nodeA.close(), nodeB.close()]);
  });

  it('does not echo a remote change back: each node reports it exactly once', async () => {
    const { nodeA, nodeB } = twoNodes();
    const onA = recordChanges(nodeA);
    const onB = recordChanges(nodeB);
    await nodeA.addEdge('judy', 'oscar', { directed: true });
    await nodeA.addEdge('sentinel-a', 'sentinel-b');
    await onB.waitFor((changes) =>
      hasEdgeChange(changes, 'edge-added', 'sentinel-a', 'sentinel-b'),
    );
    // A round trip through B and back to A would show up as a second report on A.
    await nodeB.addEdge('sentinel-c', 'sentinel-d');
    await onA.waitFor((changes) =>
      hasEdgeChange(changes, 'edge-added', 'sentinel-c', 'sentinel-d'),
    );
    expect(onA.changes).toHaveLength(3);
    expect(onB.changes).toHaveLength(3);
    await Promise.all([nodeA.close(), nodeB.close()]);
  });

  it('applies a duplicate remote change harmlessly', async () => {
    const hub = createRelayHub();
    const sender = hub.connect();
    const node = new GraphologyFriendsGraph({ graph: createDemoGraph(), relay: hub.connect() });
    const recorder = recordChanges(node);
    const change = {
      kind: 'edge-added',
      source: 'oscar',
      target: 'ivan',
      directed: false,
    } as const;
    sender.publish(change);
    sender.publish(change);
    sender.publish({ ...change, source: 'sentinel-a', target: 'sentinel-b' });
    await recorder.waitFor((changes) =>
      hasEdgeChange(changes, 'edge-added', 'sentinel-a', 'sentinel-b'),
    );
    expect(recorder.changes).toHaveLength(2);
    expect(await node.visibleTo('oscar')).toEqual(['ivan']);
    await node.close();
  });

  it('stops publishing and applying after close()', async () => {
    const { nodeA, nodeB } = twoNodes();
    await nodeB.close();
    const onA = recordChanges(nodeA);
    await nodeA.addEdge('oscar', 'heidi');
    expect(onA.changes).toHaveLength(1);
    expect(nodeB.graph.hasEdge('oscar', 'heidi')).toBe(false);
    await nodeA.close();
  });
});
