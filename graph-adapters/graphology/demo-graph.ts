/**
 * The built-in demo graph the server embeds when no `--graph` is given: a dozen users, two
 * friend circles joined through bob and dave, a pair of loners and two one-way follows.
 */
import { createFriendsGraphStore, type Graph } from './friends-graph-store.js';
import type { SerializedFriendsGraph } from './serialized-graph.js';
import { importSerializedGraph } from './serialized-graph.js';

const friendships: ReadonlyArray<readonly [string, string]> = [
  ['alice', 'bob'],
  ['alice', 'carol'],
  ['bob', 'carol'],
  ['bob', 'dave'],
  ['dave', 'erin'],
  ['erin', 'frank'],
  ['frank', 'grace'],
  ['grace', 'erin'],
  ['heidi', 'ivan'],
];

/** One-way: the source may see the target, not the other way round. */
const follows: ReadonlyArray<readonly [string, string]> = [
  ['judy', 'alice'],
  ['mallory', 'carol'],
];

export const DEMO_USERS = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'oscar',
] as const;

/** The demo graph in the JSON file format, e.g. to write it out as a starting point. */
export const DEMO_GRAPH: SerializedFriendsGraph = {
  options: { type: 'mixed' },
  nodes: DEMO_USERS.map((key) => ({ key })),
  edges: [
    ...friendships.map(([source, target]) => ({ source, target, undirected: true })),
    ...follows.map(([source, target]) => ({ source, target })),
  ],
};

export function createDemoGraph(): Graph {
  const graph = createFriendsGraphStore();
  importSerializedGraph(graph, DEMO_GRAPH, 'demo graph');
  return graph;
}
