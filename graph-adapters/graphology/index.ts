/** The graphology (in-memory) friends-graph adapter: the default. */
export { createDemoGraph, DEMO_GRAPH, DEMO_USERS } from './demo-graph.js';
export { createFriendsGraphStore, Graph } from './friends-graph-store.js';
export { graphFromCsvText, loadCsvGraph, loadGraphFile, loadJsonGraph } from './graph-file.js';
export {
  GraphologyFriendsGraph,
  type GraphologyFriendsGraphOptions,
} from './graphology-friends-graph.js';
export { fromNodeKey, toNodeKey } from './node-key.js';
export { importSerializedGraph, type SerializedFriendsGraph } from './serialized-graph.js';
export {
  createTransportGraphChangeRelay,
  type TransportGraphChangeRelay,
} from './transport-change-relay.js';
