/**
 * Loads a graph file (`.json`: graphology serialization; `.csv`: `a,b` friendship pairs) into
 * a fresh friends-graph store. CSV is streamed line by line so large files need no big string.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { GraphProviderError } from '../../src/errors.js';
import { parseCsvEdgeLine } from './csv-edges.js';
import { createFriendsGraphStore, type Graph, mergeFriendEdge } from './friends-graph-store.js';
import { importSerializedGraph } from './serialized-graph.js';

export async function loadGraphFile(path: string): Promise<Graph> {
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return loadJsonGraph(path);
  if (lower.endsWith('.csv')) return loadCsvGraph(path);
  throw new GraphProviderError(
    'PRESENCE_GRAPH_INVALID_DATA',
    `${path}: unknown graph file type; use a .json (graphology serialization) or .csv (a,b pairs) file`,
  );
}

export async function loadJsonGraph(path: string): Promise<Graph> {
  const text = await readGraphText(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new GraphProviderError('PRESENCE_GRAPH_INVALID_DATA', `${path}: not valid JSON`, {
      cause: error,
    });
  }
  const graph = createFriendsGraphStore();
  importSerializedGraph(graph, data, path);
  return graph;
}

export async function loadCsvGraph(path: string): Promise<Graph> {
  const graph = createFriendsGraphStore();
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(unreadable(path, error)));
  });
  await opened;
  let lineNumber = 0;
  for await (const line of createInterface({
    input: stream,
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    lineNumber++;
    const pair = parseCsvEdgeLine(line, lineNumber, path);
    if (pair) mergeFriendEdge(graph, pair[0], pair[1], false);
  }
  return graph;
}

/** Parses CSV text already in memory (tests, embedded graphs). */
export function graphFromCsvText(text: string, origin = 'csv'): Graph {
  const graph = createFriendsGraphStore();
  text.split(/\r?\n/).forEach((line, index) => {
    const pair = parseCsvEdgeLine(line, index + 1, origin);
    if (pair) mergeFriendEdge(graph, pair[0], pair[1], false);
  });
  return graph;
}

async function readGraphText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown): GraphProviderError {
  return new GraphProviderError(
    'PRESENCE_GRAPH_UNAVAILABLE',
    `${path}: cannot read the graph file (${(error as Error).message}); check the path given to --graph`,
    { cause: error },
  );
}
