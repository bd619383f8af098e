/**
 * `--last-seen <spec>`: where last seen is kept. `memory`, `redis:<url>` or
 * `postgres:<connection string>` (a `?schema=<name>` parameter picks the schema, default public).
 * Default: `memory` for one node; with --redis, Redis on the cluster's URL, since each node's
 * memory would hold a different last seen.
 */

import {
  assertLastSeenSchemaName,
  DEFAULT_LAST_SEEN_SCHEMA,
} from '../last-seen/postgres-last-seen-schema.js';
import { NODE_OPTIONS } from '../options/index.js';
import { CliError, errorMessage } from './cli-error.js';
import { checkRedisUrl, checkUrl, redactUrl } from './graph-spec.js';
import type { Setting } from './settings.js';

export type LastSeenSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string }
  | {
      readonly kind: 'postgres';
      readonly connectionString: string;
      readonly schema: string;
    };

export interface LastSeenSetting {
  readonly spec: LastSeenSpec;
  /** Names the setting in messages: the option, the variable, or the default it came from. */
  readonly source: string;
  /** Given by the operator, not derived from --redis. */
  readonly explicit: boolean;
}

const FORMS = 'memory, redis:<url> or postgres:<connection string>';

export function resolveLastSeen(
  setting: Setting | undefined,
  redisUrl: string | undefined,
): LastSeenSetting {
  if (setting === undefined) {
    return redisUrl === undefined
      ? { spec: { kind: 'memory' }, source: '--last-seen (default: memory)', explicit: false }
      : {
          spec: { kind: 'redis', url: redisUrl },
          source: '--last-seen (default: the --redis URL)',
          explicit: false,
        };
  }
  return {
    spec: parseLastSeenSpec(setting.value, setting.source),
    source: setting.source,
    explicit: true,
  };
}

export function parseLastSeenSpec(
  spec: string,
  source: string = NODE_OPTIONS.options.lastSeen.flag,
): LastSeenSpec {
  if (spec === 'memory') return { kind: 'memory' };
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? '' : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'redis':
    case 'rediss':
    case 'redis-sentinel':
    case 'rediss-sentinel':
      // The spec is the URL itself (redis://...), or redis:<url> with the URL after the colon.
      return {
        kind: 'redis',
        url: checkRedisUrl(rest.startsWith('//') ? spec : rest, source, spec),
      };
    case 'postgres':
    case 'postgresql':
      return postgresSpec(rest.startsWith('//') ? spec : rest, spec, source);
    default:
      throw new CliError(`${source} "${redactUrl(spec)}": unknown store; use ${FORMS}`);
  }
}

/** The `schema` parameter is ours, not PostgreSQL's: it is taken out of the connection string. */
function postgresSpec(text: string, spec: string, source: string): LastSeenSpec {
  checkUrl(text, ['postgres:', 'postgresql:'], spec, source);
  const url = new URL(text);
  const schema = url.searchParams.get('schema');
  if (schema === null) {
    return { kind: 'postgres', connectionString: text, schema: DEFAULT_LAST_SEEN_SCHEMA };
  }
  try {
    assertLastSeenSchemaName(schema);
  } catch (error) {
    throw new CliError(`${source} "${redactUrl(spec)}": ${errorMessage(error)}`);
  }
  url.searchParams.delete('schema');
  return { kind: 'postgres', connectionString: url.toString(), schema };
}
