/** One edge for an adapter's bulk `addEdges`: undirected (a friendship) unless `directed`. */
import type { UserId } from '../../src/domain/user-id.js';

export type EdgeTuple = readonly [source: UserId, target: UserId, directed?: boolean];
