/**
 * Opens the friends graph the `--graph` spec names. The CLI is the composition root: the one
 * place in src/ that knows the concrete adapters of graph-adapters/. A file that cannot be read
 * or a store that cannot be reached is a CliError naming --graph.
 */
import {
  createDemoGraph,
  GraphologyFriendsGraph,
  loadGraphFile,
} from '../../graph-adapters/graphology/index.js';
import { HttpFriendsGraph, visibleUrl } from '../../graph-adapters/http/index.js';
import { PostgresFriendsGraph } from '../../graph-adapters/postgres/index.js';
import { RedisFriendsGraph } from '../../graph-adapters/redis/index.js';
import type { FriendsGraph, FriendsGraphChangeRelay } from '../ports/friends-graph.js';
import type { Logger } from '../ports/logger.js';
import { CliError, errorMessage } from './cli-error.js';
import { type GraphSpec, redactUrl } from './graph-spec.js';
import { withoutStacks } from './logger.js';

/** How long a graph store may take to answer at startup. */
export const GRAPH_CONNECT_TIMEOUT_MS = 5_000;

export interface OpenedGraph {
  readonly graph: FriendsGraph;
  /** The in-memory graph when the adapter is graphology (demo user list, relay). */
  readonly graphology: GraphologyFriendsGraph | undefined;
  readonly description: string;
}

export async function openGraph(
  spec: GraphSpec,
  logger: Logger,
  relay: FriendsGraphChangeRelay | undefined,
): Promise<OpenedGraph> {
  // A store outage repeats the same error on every reconnect: warn once, then debug.
  const quiet = withoutStacks(logger);
  let lastProblem: string | undefined;
  const onError = (error: Error) => {
    const message = errorMessage(error);
    const level = message === lastProblem ? 'debug' : 'warn';
    lastProblem = message;
    quiet[level]({ err: error }, 'friends graph: feed problem');
  };
  switch (spec.kind) {
    case 'demo': {
      const graph = new GraphologyFriendsGraph({ graph: createDemoGraph(), relay, onError });
      return { graph, graphology: graph, description: 'the built-in demo graph' };
    }
    case 'graphology': {
      let loaded: Awaited<ReturnType<typeof loadGraphFile>>;
      try {
        loaded = await loadGraphFile(spec.file);
      } catch (error) {
        throw new CliError(`--graph: ${errorMessage(error)}`);
      }
      const graph = new GraphologyFriendsGraph({ graph: loaded, relay, onError });
      return { graph, graphology: graph, description: `graphology file ${spec.file}` };
    }
    case 'redis': {
      try {
        const graph = await RedisFriendsGraph.connect({
          url: spec.url,
          timeoutMs: GRAPH_CONNECT_TIMEOUT_MS,
          onError,
        });
        return { graph, graphology: undefined, description: `Redis ${redactUrl(spec.url)}` };
      } catch (error) {
        throw new CliError(
          `--graph: cannot reach the Redis graph at ${redactUrl(spec.url)} (${errorMessage(error)}); start Redis or fix the URL`,
        );
      }
    }
    case 'postgres': {
      try {
        const graph = await PostgresFriendsGraph.connect({
          connectionString: spec.connectionString,
          timeoutMs: GRAPH_CONNECT_TIMEOUT_MS,
          onError,
        });
        return {
          graph,
          graphology: undefined,
          description: `PostgreSQL ${redactUrl(spec.connectionString)}`,
        };
      } catch (error) {
        throw new CliError(
          `--graph: cannot reach PostgreSQL at ${redactUrl(spec.connectionString)} (${errorMessage(error)}); start it, fix the connection string or run the migration (see graph-adapters/README.md)`,
        );
      }
    }
    case 'http': {
      let graph: HttpFriendsGraph;
      try {
        graph = new HttpFriendsGraph({ baseUrl: spec.baseUrl, onError });
      } catch (error) {
        throw new CliError(`--graph: ${errorMessage(error)}`);
      }
      await probeHttpGraph(spec.baseUrl, logger);
      return { graph, graphology: undefined, description: `HTTP API ${redactUrl(spec.baseUrl)}` };
    }
  }
}

/**
 * Any HTTP answer but a redirect proves the API reachable (the adapter follows no redirects); a
 * refused connection or a timeout does not.
 */
async function probeHttpGraph(baseUrl: string, logger: Logger): Promise<void> {
  const url = visibleUrl(baseUrl, 'graph-presence-startup-probe');
  let location: string | undefined;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(GRAPH_CONNECT_TIMEOUT_MS),
      redirect: 'manual',
    });
    await response.body?.cancel();
    if (response.status >= 300 && response.status < 400) {
      location = response.headers.get('location') ?? 'nowhere';
    }
    if (response.status >= 500) {
      logger.warn(
        { status: response.status, url: redactUrl(url) },
        'friends graph: the HTTP API answered an error at startup',
      );
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new CliError(
      `--graph: cannot reach the HTTP graph API at ${redactUrl(baseUrl)} (${cause ?? errorMessage(error)}); start the app's API or fix the base URL`,
    );
  }
  if (location !== undefined) {
    throw new CliError(
      `--graph: the HTTP graph API at ${redactUrl(baseUrl)} answers with a redirect to ${redactUrl(location)}, and redirects are not followed; give the base URL that answers`,
    );
  }
}
