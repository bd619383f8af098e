/**
 * A Redis URL given to the CLI (`--redis`, `--graph redis:<url>`, `--last-seen redis:<url>`):
 * checked by the parser the clients use (src/transports/redis-url.ts), so a URL the CLI accepts
 * is one the bus, the last-seen store and the graph adapter can open.
 */
import { parseRedisUrl } from '../transports/redis-url.js';
import { CliError, errorMessage } from './cli-error.js';
import { redactUrl } from './redact-url.js';

/**
 * `url` when it is a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL, else a
 * CliError naming `source` and what to write.
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
