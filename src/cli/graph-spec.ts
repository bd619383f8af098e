/**
 * `--graph <spec>`: which friends-graph adapter to open. `graphology:<file.json|file.csv>`,
 * `redis:<url>` (a redis-sentinel:// URL too), `postgres:<connection string>`, `http:<base url>`; none = the built-in demo graph.
 */
import { NODE_OPTIONS } from '../options/index.js';
import { parseRedisUrl } from '../transports/redis-url.js';
import { CliError, errorMessage } from './cli-error.js';

export type GraphSpec =
  | { readonly kind: 'demo' }
  | { readonly kind: 'graphology'; readonly file: string }
  | { readonly kind: 'redis'; readonly url: string }
  | { readonly kind: 'postgres'; readonly connectionString: string }
  | { readonly kind: 'http'; readonly baseUrl: string };

const FORMS =
  'graphology:<file.json|file.csv>, redis:<url>, postgres:<connection string> or http:<base url>';

/** @param source names where the spec came from in errors (`--graph` or `PRESENCE_GRAPH`). */
export function parseGraphSpec(
  spec: string | undefined,
  source: string = NODE_OPTIONS.options.graph.flag,
): GraphSpec {
  if (spec === undefined) return { kind: 'demo' };
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? '' : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'graphology': {
      const lower = rest.toLowerCase();
      if (!lower.endsWith('.json') && !lower.endsWith('.csv')) {
        throw new CliError(
          `${source} "${spec}": a graphology graph is a .json or .csv file, e.g. graphology:./friends.json`,
        );
      }
      return { kind, file: rest };
    }
    case 'redis':
      // The spec is the URL itself (redis://...), or redis:<url> with the URL after the colon.
      return { kind, url: checkRedisUrl(rest.startsWith('//') ? spec : rest, source, spec) };
    case 'rediss':
    case 'redis-sentinel':
    case 'rediss-sentinel':
      return { kind: 'redis', url: checkRedisUrl(spec, source) };
    case 'postgres':
    case 'postgresql': {
      const connectionString = rest.startsWith('//') ? spec : rest;
      checkUrl(connectionString, ['postgres:', 'postgresql:'], spec, source);
      return { kind: 'postgres', connectionString };
    }
    case 'http':
    case 'https': {
      const baseUrl = rest.startsWith('//') ? spec : rest;
      return { kind: 'http', baseUrl: checkUrl(baseUrl, ['http:', 'https:'], spec, source) };
    }
    default:
      throw new CliError(`${source} "${spec}": unknown graph kind; use ${FORMS}`);
  }
}

/** `text` as a URL of one of `protocols`, or a CliError naming `source` and showing a form. */
export function checkUrl(text: string, protocols: string[], spec: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(
      `${source} "${redactUrl(spec)}": "${redactUrl(text)}" is not a URL; write e.g. ${protocols[0]}//host:port`,
    );
  }
  if (!protocols.includes(url.protocol)) {
    throw new CliError(
      `${source} "${redactUrl(spec)}": expected a ${protocols.join(' or ')} URL after the kind, got ${url.protocol}`,
    );
  }
  return text;
}

/**
 * `url` when it is a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL, else a
 * CliError naming `source` and what to write. The parser is the one the clients use
 * (src/transports/redis-url.ts), so a URL accepted here is one the bus, the last-seen store and
 * the graph adapter can open.
 * @param spec the whole setting as the operator wrote it, when the URL is only part of it.
 */
export function checkRedisUrl(url: string, source: string, spec = url): string {
  try {
    parseRedisUrl(url);
  } catch (error) {
    throw new CliError(`${source} "${redactUrl(spec)}": ${errorMessage(error)}`);
  }
  return url;
}

/**
 * A URL for messages and logs: the password in its user part, and a Sentinel URL's
 * sentinelPassword parameter, replaced by `***`.
 */
export function redactUrl(text: string): string {
  return text
    .replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/, '$1***@')
    .replace(/([?&]sentinelPassword=)[^&#\s]*/gi, '$1***');
}
