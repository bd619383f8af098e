/**
 * A Redis URL to an ioredis client, in one place for the node bus, the Redis last-seen store and
 * the Redis graph adapter. `redis://` and `rediss://` go to ioredis as they are. A Sentinel URL
 * names the Sentinels and the master group they watch; ioredis asks them for the current master
 * and asks again after every disconnect, so the clients follow a failover:
 *
 *   redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/<master name>
 *     [?db=<n>&sentinelUsername=<user>&sentinelPassword=<password>]
 *
 * The user and password are the Redis servers' (the master's, and the replicas' after a
 * promotion); the Sentinels' own credentials are the query parameters. A port left out is 26379.
 * `rediss-sentinel://` speaks TLS to the Sentinels and to the servers.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { InvalidOptionError } from '../errors.js';

export const DEFAULT_SENTINEL_PORT = 26_379;
/**
 * How long a Sentinel may take to name the master before the next one is asked (the clients'
 * default; `redisOptions` may change it). Without it, a
 * frozen Sentinel (its port accepting, the process never answering) holds a reconnecting client
 * forever, and the client never reaches the promoted replica.
 */
export const SENTINEL_COMMAND_TIMEOUT_MS = 2_000;

const SENTINEL_SCHEME = /^(rediss?)-sentinel:\/\/(.*)$/is;
const QUERY_PARAMETERS = ['db', 'sentinelUsername', 'sentinelPassword'] as const;
const FORM = 'redis-sentinel://host:26379,host2:26379/<master name>';

export type ParsedRedisUrl =
  | { readonly kind: 'direct'; readonly url: string }
  | { readonly kind: 'sentinel'; readonly options: RedisOptions };

/** A `redis-sentinel://` or `rediss-sentinel://` URL (any case)? */
export function isSentinelUrl(url: string): boolean {
  return SENTINEL_SCHEME.test(url);
}

/**
 * Checks a URL of any of the four forms; an InvalidOptionError names what to change (and never
 * repeats a password).
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  if (isSentinelUrl(url)) return { kind: 'sentinel', options: parseSentinelUrl(url) };
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new InvalidOptionError(
      `not a Redis URL; write redis://host:6379, rediss://host:6380 (TLS) or ${FORM} (Sentinel)`,
    );
  }
  return { kind: 'direct', url };
}

/**
 * A client for `url` with the caller's options; what the URL says wins, as with ioredis's own
 * URLs. Anything but a Sentinel URL goes to ioredis unchanged, unix socket paths included.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  if (!isSentinelUrl(url)) return new Redis(url, options);
  return new Redis({
    sentinelCommandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
    ...options,
    ...parseSentinelUrl(url),
  });
}

/** The ioredis Sentinel options of a Sentinel URL. */
export function parseSentinelUrl(url: string): RedisOptions {
  const match = SENTINEL_SCHEME.exec(url);
  if (!match) throw new InvalidOptionError(`not a Sentinel URL; write ${FORM}`);
  const tls = match[1]!.toLowerCase() === 'rediss';
  const [beforeQuery = '', query] = splitOnce(match[2]!, '?');
  const [authority = '', path] = splitOnce(beforeQuery, '/');
  const at = authority.lastIndexOf('@');
  const credentials = at < 0 ? undefined : authority.slice(0, at);
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  const options: RedisOptions = {
    sentinels: parseSentinelHosts(hosts),
    name: parseMasterName(path),
    role: 'master',
    ...parseCredentials(credentials),
    ...parseQuery(query),
  };
  if (tls) {
    options.tls = {};
    options.sentinelTLS = {};
    options.enableTLSForSentinelMode = true;
  }
  return options;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

function parseSentinelHosts(hosts: string): Array<{ host: string; port: number }> {
  if (hosts === '') {
    throw new InvalidOptionError(`a Sentinel URL lists the Sentinels' addresses; write ${FORM}`);
  }
  return hosts.split(',').map((address) => {
    // [IPv6]:port, or host:port; the port may be left out.
    const parts = /^(\[[^\]]+\]|[^:[\]]*)(?::(.*))?$/.exec(address);
    const host = parts?.[1]?.replace(/^\[|\]$/g, '') ?? '';
    const portText = parts?.[2];
    if (host === '') {
      throw new InvalidOptionError(
        `Sentinel address "${address}" has no host; list them as host:port separated by commas, e.g. ${FORM}`,
      );
    }
    if (portText === undefined) return { host, port: DEFAULT_SENTINEL_PORT };
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) {
      throw new InvalidOptionError(
        `Sentinel address "${address}" has no valid port (1 to 65535); write host:26379`,
      );
    }
    return { host, port };
  });
}

function parseMasterName(path: string | undefined): string {
  const name = decode(path ?? '', 'the master name');
  if (name === '' || name.includes('/')) {
    throw new InvalidOptionError(
      `a Sentinel URL names one master group after the addresses (the name in the Sentinels' "sentinel monitor" line); write ${FORM}`,
    );
  }
  return name;
}

function parseCredentials(credentials: string | undefined): RedisOptions {
  if (credentials === undefined) return {};
  const [user = '', password] = splitOnce(credentials, ':');
  return {
    ...(user === '' ? {} : { username: decode(user, 'the user name') }),
    ...(password === undefined ? {} : { password: decode(password, 'the password') }),
  };
}

function parseQuery(query: string | undefined): RedisOptions {
  const options: RedisOptions = {};
  if (query === undefined || query === '') return options;
  for (const [key, value] of new URLSearchParams(query)) {
    switch (key) {
      case 'db': {
        const db = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
        if (!Number.isSafeInteger(db)) {
          throw new InvalidOptionError(
            `Sentinel URL parameter db must be a database number such as 0, not "${value}"`,
          );
        }
        options.db = db;
        break;
      }
      case 'sentinelUsername':
        options.sentinelUsername = value;
        break;
      case 'sentinelPassword':
        options.sentinelPassword = value;
        break;
      default:
        throw new InvalidOptionError(
          `unknown Sentinel URL parameter "${key}"; the parameters are ${QUERY_PARAMETERS.join(', ')}`,
        );
    }
  }
  return options;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidOptionError(
      `Sentinel URL: ${what} has a bad %-escape; percent-encode special characters (e.g. %40 for @)`,
    );
  }
}
