/**
 * The JSON graph format (graph-adapters/README.md) (graphology's serialization), validated by hand so a
 * bad file gets an error naming the file and the offending entry instead of a graphology
 * exception. Edge direction follows graphology: in an `undirected` graph every edge is
 * undirected; otherwise an edge is directed unless it says `"undirected": true`.
 */
import { GraphProviderError } from '../../src/errors.js';
import { isUserId } from '../shared/edge-change-json.js';
import { type Graph, mergeFriendEdge } from './friends-graph-store.js';
import { toNodeKey } from './node-key.js';

export interface SerializedFriendsGraph {
  options?: { type?: 'undirected' | 'directed' | 'mixed' };
  nodes?: Array<{ key: string }>;
  edges: Array<{ source: string; target: string; undirected?: boolean }>;
}

export function importSerializedGraph(graph: Graph, data: unknown, origin: string): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalid(origin, 'expected an object with "edges" (graphology serialization)');
  }
  const record = data as Record<string, unknown>;
  const type = readType(record['options'], origin);
  const nodes = record['nodes'] ?? [];
  const edges = record['edges'] ?? [];
  if (!Array.isArray(nodes)) throw invalid(origin, '"nodes" must be an array');
  if (!Array.isArray(edges)) throw invalid(origin, '"edges" must be an array');

  nodes.forEach((node: unknown, index) => {
    const key = (node as { key?: unknown } | null)?.key;
    if (!isUserId(key)) throw invalid(origin, `nodes[${index}].key must be a non-empty string`);
    graph.mergeNode(toNodeKey(key));
  });
  edges.forEach((edge: unknown, index) => {
    const { source, target, undirected } = (edge ?? {}) as Record<string, unknown>;
    if (!isUserId(source) || !isUserId(target)) {
      throw invalid(origin, `edges[${index}] needs "source" and "target": non-empty strings`);
    }
    const isUndirected = type === 'undirected' || undirected === true;
    mergeFriendEdge(graph, source, target, !isUndirected);
  });
}

function readType(options: unknown, origin: string): 'undirected' | 'directed' | 'mixed' {
  if (options === undefined) return 'mixed';
  const type = (options as { type?: unknown } | null)?.type ?? 'mixed';
  if (type === 'undirected' || type === 'directed' || type === 'mixed') return type;
  throw invalid(
    origin,
    `options.type must be "undirected", "directed" or "mixed", got ${JSON.stringify(type)}`,
  );
}

function invalid(origin: string, reason: string): GraphProviderError {
  return new GraphProviderError('PRESENCE_GRAPH_INVALID_DATA', `${origin}: ${reason}`);
}
