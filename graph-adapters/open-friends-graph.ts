/**
 * Opens the friends graph named by the server's `--graph <spec>` option (CONTRACT.md):
 * `graphology:<file.json|file.csv>`, `redis:<url>`, `postgres:<connection string>`,
 * `http:<base url>`; no spec means the built-in demo graph. A bare `redis://…`,
 * `postgres://…` or `http(s)://…` URL is accepted too.
 */
import { InvalidOptionError } from '../src/errors.js';
import type {
  FriendsGraph,
  FriendsGraphChangeRelay,
  FriendsGraphErrorListener,
} from '../src/ports/friends-graph.js';
import { createDemoGraph, GraphologyFriendsGraph, loadGraphFile } from './graphology/index.js';
import { HttpFriendsGraph } from './http/index.js';
import { PostgresFriendsGraph } from './postgres/index.js';
import { RedisFriendsGraph } from './redis/index.js';

export interface OpenFriendsGraphOptions {
  /** Carries graphology changes between nodes (ignored by the other adapters). */
  relay?: FriendsGraphChangeRelay;
  /** Secret of the HTTP adapter's change webhook. */
  webhookSecret?: string;
  onError?: FriendsGraphErrorListener;
}

export type GraphSpec =
  | { kind: 'demo' }
  | { kind: 'graphology'; file: string }
  | { kind: 'redis' | 'postgres' | 'http'; url: string };

export function parseGraphSpec(spec: string | undefined): GraphSpec {
  if (spec === undefined || spec === '') return { kind: 'demo' };
  const colon = spec.indexOf(':');
  const scheme = colon === -1 ? '' : spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  const url = rest.startsWith('//') ? spec : rest;
  if (rest !== '') {
    if (scheme === 'graphology') return { kind: 'graphology', file: rest };
    if (scheme === 'redis' || scheme === 'rediss') return { kind: 'redis', url };
    if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url };
    if (scheme === 'http' || scheme === 'https') return { kind: 'http', url };
  }
  throw new InvalidOptionError(
    `--graph ${JSON.stringify(spec)}: use graphology:<file.json|file.csv>, redis:<url>, postgres:<connection string> or http:<base url>`,
  );
}

export async function openFriendsGraph(
  spec: string | undefined,
  options: OpenFriendsGraphOptions = {},
): Promise<FriendsGraph> {
  const parsed = parseGraphSpec(spec);
  const { relay, onError } = options;
  switch (parsed.kind) {
    case 'demo':
      return new GraphologyFriendsGraph({ graph: createDemoGraph(), relay, onError });
    case 'graphology':
      return new GraphologyFriendsGraph({
        graph: await loadGraphFile(parsed.file),
        relay,
        onError,
      });
    case 'redis':
      return RedisFriendsGraph.connect({ url: parsed.url, onError });
    case 'postgres':
      return PostgresFriendsGraph.connect({ connectionString: parsed.url, onError });
    case 'http':
      return new HttpFriendsGraph({
        baseUrl: parsed.url,
        webhookSecret: options.webhookSecret,
        onError,
      });
  }
}
