/**
 * The in-memory graph the graphology adapter reads: mixed (directed and undirected edges side
 * by side), simple (a duplicate edge merges into the existing one), no self-loops.
 */
import * as graphology from 'graphology';
import type { AbstractGraph, GraphOptions } from 'graphology-types';
import { toNodeKey } from './node-key.js';

/**
 * graphology's Graph class. Node loads its ESM build, which exports the class by name; the
 * typings are CommonJS-shaped and do not declare that name, hence the cast.
 */
export const Graph = (graphology as unknown as { Graph: new (options?: GraphOptions) => Graph })
  .Graph;
export type Graph = AbstractGraph;

export function createFriendsGraphStore(): Graph {
  return new Graph({ type: 'mixed', multi: false, allowSelfLoops: false });
}

/** Adds an edge by user id; self-loops are ignored and duplicates merge. */
export function mergeFriendEdge(
  graph: Graph,
  source: string,
  target: string,
  directed: boolean,
): void {
  if (source === target) return;
  const from = toNodeKey(source);
  const to = toNodeKey(target);
  if (directed) graph.mergeDirectedEdge(from, to);
  else graph.mergeUndirectedEdge(from, to);
}

/** Removes an edge by user id if present; absent edges are a no-op. */
export function dropFriendEdge(
  graph: Graph,
  source: string,
  target: string,
  directed: boolean,
): void {
  const from = toNodeKey(source);
  const to = toNodeKey(target);
  if (!graph.hasNode(from) || !graph.hasNode(to)) return;
  if (directed) {
    if (graph.type !== 'undirected' && graph.hasDirectedEdge(from, to)) {
      graph.dropDirectedEdge(from, to);
    }
  } else if (graph.type !== 'directed' && graph.hasUndirectedEdge(from, to)) {
    graph.dropUndirectedEdge(from, to);
  }
}
