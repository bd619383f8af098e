/**
 * The behaviour every friends-graph adapter must show, registered once per adapter by its
 * test file: `describeFriendsGraphContract('redis', makeRedisFixture)`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import { describeChange, hasEdgeChange, recordChanges } from './change-recorder.js';

export type EdgeSpec = readonly [source: string, target: string, directed?: boolean];

/** One isolated store plus a way to write to it the way the adapter's real users would. */
export interface FriendsGraphFixture {
  /** An adapter over this store; may be called again for a second, independent instance. */
  open(): Promise<FriendsGraph>;
  /** Writes whose effect every open adapter reports on its feed. */
  addEdge(source: string, target: string, directed?: boolean): Promise<void>;
  removeEdge(source: string, target: string, directed?: boolean): Promise<void>;
  addEdges(edges: readonly EdgeSpec[]): Promise<void>;
  /** Closes every adapter `open()` returned and deletes the store. */
  cleanup(): Promise<void>;
}

const sorted = (ids: readonly string[]) => [...ids].sort();

export function describeFriendsGraphContract(
  name: string,
  makeFixture: () => Promise<FriendsGraphFixture>,
): void {
  describe(`friends-graph contract: ${name}`, () => {
    let fixture: FriendsGraphFixture;
    let graph: FriendsGraph;

    beforeEach(async () => {
      fixture = await makeFixture();
      graph = await fixture.open();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Waits until `graph` has reported a sentinel edge, so everything before it arrived. */
    async function settle(target: FriendsGraph = graph, tag = 'sentinel'): Promise<void> {
      const recorder = recordChanges(target);
      await fixture.addEdge(`${tag}-a`, `${tag}-b`);
      await recorder.waitFor((changes) =>
        hasEdgeChange(changes, 'edge-added', `${tag}-a`, `${tag}-b`),
      );
      recorder.stop();
    }

    it('an undirected edge lets both users see each other', async () => {
      await fixture.addEdge('alice', 'bob');
      expect(await graph.visibleTo('alice')).toEqual(['bob']);
      expect(await graph.visibleTo('bob')).toEqual(['alice']);
    });

    it('a directed edge lets only the source see the target', async () => {
      await fixture.addEdge('judy', 'alice', true);
      expect(await graph.visibleTo('judy')).toEqual(['alice']);
      expect(await graph.visibleTo('alice')).toEqual([]);
    });

    it('directed edges both ways amount to a friendship', async () => {
      await fixture.addEdges([
        ['a', 'b', true],
        ['b', 'a', true],
      ]);
      expect(await graph.visibleTo('a')).toEqual(['b']);
      expect(await graph.visibleTo('b')).toEqual(['a']);
    });

    it('lists each visible user once when directed and undirected edges overlap', async () => {
      await fixture.addEdges([
        ['a', 'b'],
        ['a', 'b', true],
        ['a', 'c', true],
        ['d', 'a'],
      ]);
      expect(sorted(await graph.visibleTo('a'))).toEqual(['b', 'c', 'd']);
      await fixture.removeEdge('a', 'b', true);
      expect(sorted(await graph.visibleTo('a'))).toEqual(['b', 'c', 'd']);
      await fixture.removeEdge('b', 'a');
      expect(sorted(await graph.visibleTo('a'))).toEqual(['c', 'd']);
    });

    it('an unknown user sees nobody, without an error', async () => {
      expect(await graph.visibleTo('nobody-knows-me')).toEqual([]);
    });

    it('rejects an empty or non-string user id with PRESENCE_INVALID_INPUT', async () => {
      await expect(graph.visibleTo('')).rejects.toMatchObject({ code: 'PRESENCE_INVALID_INPUT' });
      await expect(graph.visibleTo(42 as unknown as string)).rejects.toMatchObject({
        code: 'PRESENCE_INVALID_INPUT',
      });
    });

    it('ignores self-loops: nobody sees themselves and nothing is reported', async () => {
      const recorder = recordChanges(graph);
      await fixture.addEdge('narcissus', 'narcissus');
      await fixture.addEdge('narcissus', 'narcissus', true);
      await settle();
      expect(await graph.visibleTo('narcissus')).toEqual([]);
      expect(recorder.changes.map(describeChange)).toEqual(['edge-added sentinel-a -- sentinel-b']);
    });

    it('treats a duplicate edge as one: listed once, reported once, removed at once', async () => {
      const recorder = recordChanges(graph);
      await fixture.addEdge('alice', 'bob');
      await fixture.addEdge('alice', 'bob');
      await fixture.addEdge('bob', 'alice');
      expect(await graph.visibleTo('alice')).toEqual(['bob']);
      await fixture.removeEdge('alice', 'bob');
      expect(await graph.visibleTo('alice')).toEqual([]);
      expect(await graph.visibleTo('bob')).toEqual([]);
      await fixture.removeEdge('alice', 'bob');
      await settle();
      expect(recorder.changes.map(describeChange)).toEqual([
        'edge-added alice -- bob',
        'edge-removed alice -- bob',
        'edge-added sentinel-a -- sentinel-b',
      ]);
    });

    it('answers for a user with 10,000 friends', async () => {
      const friends = Array.from({ length: 10_000 }, (_, index) => `friend-${index}`);
      await fixture.addEdges(friends.map((friend) => ['hub', friend] as const));
      const visible = await graph.visibleTo('hub');
      expect(visible).toHaveLength(10_000);
      expect(new Set(visible)).toEqual(new Set(friends));
      expect(await graph.visibleTo('friend-9999')).toEqual(['hub']);
    });

    it('reports changes exactly once, in order, with both users of each edge', async () => {
      const recorder = recordChanges(graph);
      await fixture.addEdge('alice', 'bob');
      await fixture.addEdge('carol', 'dave', true);
      await fixture.removeEdge('alice', 'bob');
      await fixture.addEdge('bob', 'alice');
      await fixture.removeEdge('carol', 'dave', true);
      await settle();
      expect(recorder.changes.map(describeChange)).toEqual([
        'edge-added alice -- bob',
        'edge-added carol -> dave',
        'edge-removed alice -- bob',
        'edge-added alice -- bob',
        'edge-removed carol -> dave',
        'edge-added sentinel-a -- sentinel-b',
      ]);
    });

    it('delivers to every listener; unsubscribing or a throwing listener spares the others', async () => {
      const throwing = graph.subscribe(() => {
        throw new Error('listener bug');
      });
      const quitter = recordChanges(graph);
      const stayer = recordChanges(graph);
      quitter.stop();
      quitter.stop();
      await fixture.addEdge('alice', 'bob');
      await settle();
      throwing();
      expect(quitter.changes).toEqual([]);
      expect(stayer.changes.map(describeChange)).toEqual([
        'edge-added alice -- bob',
        'edge-added sentinel-a -- sentinel-b',
      ]);
    });

    it('close() stops the feed and later calls fail with PRESENCE_GRAPH_CLOSED', async () => {
      const other = await fixture.open();
      const closedRecorder = recordChanges(graph);
      await graph.close();
      await graph.close();
      await fixture.addEdge('alice', 'bob');
      // The second instance hearing the change shows it was sent; the closed one stays silent.
      await settle(other);
      expect(closedRecorder.changes).toEqual([]);
      await expect(graph.visibleTo('alice')).rejects.toMatchObject({
        code: 'PRESENCE_GRAPH_CLOSED',
      });
      expect(() => graph.subscribe(() => {})).toThrow(
        expect.objectContaining({ code: 'PRESENCE_GRAPH_CLOSED' }),
      );
      expect(await other.visibleTo('alice')).toEqual(['bob']);
    });

    it('handles ids with colons, spaces, commas, unicode and __proto__', async () => {
      const odd = ['user:42', 'Mary Ann', 'a,b', 'émilie 🚀', '__proto__', 'constructor', '名前'];
      const recorder = recordChanges(graph);
      await fixture.addEdges(odd.map((id) => ['hub:1', id] as const));
      await fixture.addEdge('__proto__', 'toString', true);
      expect(sorted(await graph.visibleTo('hub:1'))).toEqual(sorted(odd));
      for (const id of odd) expect(await graph.visibleTo(id)).toContain('hub:1');
      expect(sorted(await graph.visibleTo('__proto__'))).toEqual(['hub:1', 'toString']);
      expect(await graph.visibleTo('toString')).toEqual([]);
      await settle();
      expect(hasEdgeChange(recorder.changes, 'edge-added', '__proto__', 'toString')).toBe(true);
      expect(hasEdgeChange(recorder.changes, 'edge-added', 'hub:1', 'émilie 🚀')).toBe(true);
    });
  });
}
