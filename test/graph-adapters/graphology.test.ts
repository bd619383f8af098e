/** The graphology adapter: the shared contract, graph files, the demo graph and relays. */
import { describe, expect, it } from 'vitest';
import {
  createFriendsGraphStore,
  type Graph,
  GraphologyFriendsGraph,
} from '../../graph-adapters/graphology/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { describeFriendsGraphContract } from '../contracts/friends-graph.contract.js';

describeFriendsGraphContract('graphology', async () => {
  const graph: Graph = createFriendsGraphStore();
  const opened: FriendsGraph[] = [];
  // Writes go through one adapter, like the server's own edits; every instance reads the graph.
  const writer = new GraphologyFriendsGraph({ graph });
  return {
    async open() {
      const adapter = new GraphologyFriendsGraph({ graph });
      opened.push(adapter);
      return adapter;
    },
    addEdge: (source, target, directed) => writer.addEdge(source, target, { directed }),
    removeEdge: (source, target, directed) => writer.removeEdge(source, target, { directed }),
    async addEdges(edges) {
      for (const [source, target, directed] of edges) {
        await writer.addEdge(source, target, { directed });
      }
    },
    async cleanup() {
      await Promise.all([...opened, writer].map((adapter) => adapter.close()));
    },
  };
});

describe('graphology adapter', () => {
  it('reports mutations made on the Graph instance directly', async () => {
    const graph = createFriendsGraphStore();
    const adapter = new GraphologyFriendsGraph({ graph });
    const seen: string[] = [];
    adapter.subscribe((change) => seen.push(change.kind));
    graph.mergeUndirectedEdge('alice', 'bob');
    graph.dropNode('alice');
    graph.clear();
    expect(seen).toEqual(['edge-added', 'edge-removed', 'reset']);
    await adapter.close();
  });
});
