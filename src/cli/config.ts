/**
 * From parsed arguments and the environment to a checked configuration (docs/usage.md, "Command
 * line"). An option wins over its environment variable; an empty variable counts as unset.
 * Every error names the option (or variable) and what to change.
 */
import { hostname } from 'node:os';
import { DEFAULT_MAX_BATCH_DELAY_MS } from '../gateway/batch-window.js';
import { MIN_ADMIN_TOKEN_LENGTH } from '../http/admin-token.js';
import { MIN_CLUSTER_SECRET_BYTES } from '../transports/cluster-secret.js';
import { MAX_REPLICA_ID_BYTES } from '../transports/replica-id.js';
import { CliError } from './cli-error.js';
import { type GraphSpec, parseGraphSpec, redactUrl } from './graph-spec.js';
import type { RawArguments } from './parse-arguments.js';

export interface CliConfig {
  readonly port: number;
  readonly host: string;
  readonly nodeName: string;
  /** Redis URL for replication; undefined = one node, in-memory transport. */
  readonly redisUrl: string | undefined;
  readonly graph: GraphSpec;
  /** undefined only in demo mode: a random per-process secret is made then. */
  readonly jwtSecret: string | undefined;
  /** Bearer token of the admin HTTP routes; undefined = admin routes off. */
  readonly adminToken: string | undefined;
  /** Key of the node bus's frame MACs; undefined = frames not authenticated. */
  readonly clusterSecret: string | undefined;
  /** The previous key, still accepted on received frames during a rotation. */
  readonly clusterSecretPrevious: string | undefined;
  readonly demo: boolean;
  /** Demo mode was chosen because no secret and no --demo were given (the embedded default). */
  readonly implicitDemo: boolean;
  readonly broadcastPeriodMs: number;
  readonly downPeriodMs: number;
  readonly permdownPeriodMs: number;
  /** The longest a socket's diffs wait to be merged under load. */
  readonly maxBatchDelayMs: number;
  /** How long a dropped connection stays visible for a reconnect (0: none). */
  readonly leaveGraceMs: number;
}

export const DEFAULTS = Object.freeze({
  port: 4000,
  host: '127.0.0.1',
  broadcastPeriodMs: 1_500,
  downPeriodMs: 30_000,
  permdownPeriodMs: 1_200_000,
  maxBatchDelayMs: DEFAULT_MAX_BATCH_DELAY_MS,
  leaveGraceMs: 5_000,
});

export type Environment = Readonly<Record<string, string | undefined>>;

interface Setting {
  readonly value: string;
  /** How the setting is named in messages: `--port` or `PORT (environment)`. */
  readonly source: string;
}

function pick(option: string, value: string | undefined, env: Environment, variable?: string) {
  if (value !== undefined) return { value, source: option };
  const fromEnv = variable === undefined ? undefined : env[variable];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { value: fromEnv, source: `${variable} (environment, or ${option})` };
  }
  return undefined;
}

export function resolveConfig(args: RawArguments, env: Environment, pid = process.pid): CliConfig {
  const port = integerSetting(pick('--port', args.port, env, 'PORT'), DEFAULTS.port, 0, 65_535);
  const host =
    nonEmpty(pick('--host', args.host, env, 'HOST'), 'an address such as 127.0.0.1 or 0.0.0.0') ??
    DEFAULTS.host;
  const nodeName = resolveNodeName(
    pick('--node-name', args.nodeName, env, 'PRESENCE_NODE_NAME'),
    pid,
  );
  const redisUrl = resolveRedisUrl(pick('--redis', args.redis, env, 'REDIS_URL'));
  const graphSetting = pick('--graph', args.graph, env, 'PRESENCE_GRAPH');
  const graph = parseGraphSpec(graphSetting?.value, graphSetting?.source);
  const secret = nonEmpty(
    pick('--jwt-secret', args.jwtSecret, env, 'PRESENCE_JWT_SECRET'),
    'a long random string shared by every node',
  );
  const adminToken = resolveAdminToken(
    pick('--admin-token', args.adminToken, env, 'PRESENCE_ADMIN_TOKEN'),
  );
  const clusterSecret = resolveClusterSecret(
    pick('--cluster-secret', args.clusterSecret, env, 'PRESENCE_CLUSTER_SECRET'),
  );
  const previousSetting = pick(
    '--cluster-secret-previous',
    args.clusterSecretPrevious,
    env,
    'PRESENCE_CLUSTER_SECRET_PREVIOUS',
  );
  const clusterSecretPrevious = resolveClusterSecret(previousSetting);
  if (clusterSecretPrevious !== undefined && clusterSecret === undefined) {
    throw new CliError(
      `${previousSetting?.source} needs --cluster-secret (PRESENCE_CLUSTER_SECRET), the new secret frames are signed with`,
    );
  }
  const timing = resolvePeriods(args);
  const leaveGraceMs = integerSetting(
    pick('--leave-grace-ms', args.leaveGraceMs, env, 'PRESENCE_LEAVE_GRACE_MS'),
    DEFAULTS.leaveGraceMs,
    0,
    2_147_483_647,
  );
  return {
    port,
    host,
    nodeName,
    redisUrl,
    graph,
    jwtSecret: secret,
    adminToken,
    clusterSecret,
    clusterSecretPrevious,
    demo: args.demo || secret === undefined,
    implicitDemo: !args.demo && secret === undefined,
    ...timing,
    maxBatchDelayMs: integerSetting(
      pick('--max-batch-delay-ms', args.maxBatchDelayMs, env, 'PRESENCE_MAX_BATCH_DELAY_MS'),
      DEFAULTS.maxBatchDelayMs,
      0,
      10_000,
    ),
    leaveGraceMs,
  };
}

function integerSetting(setting: Setting | undefined, fallback: number, min: number, max: number) {
  if (setting === undefined) return fallback;
  const { value, source } = setting;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${source} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function nonEmpty(setting: Setting | undefined, example: string): string | undefined {
  if (setting === undefined) return undefined;
  if (setting.value.trim() === '') {
    throw new CliError(`${setting.source} must not be empty; give ${example}`);
  }
  return setting.value;
}

function resolveNodeName(setting: Setting | undefined, pid: number): string {
  const name = nonEmpty(setting, 'a name unique in the cluster, e.g. presence-1');
  if (name === undefined) return `${hostname()}-${pid}`;
  if (Buffer.byteLength(name, 'utf8') > MAX_REPLICA_ID_BYTES) {
    throw new CliError(
      `${setting?.source} must be at most ${MAX_REPLICA_ID_BYTES} bytes of UTF-8; pick a shorter node name`,
    );
  }
  return name;
}

function resolveAdminToken(setting: Setting | undefined): string | undefined {
  if (setting === undefined) return undefined;
  if (setting.value.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(setting.value)) {
    throw new CliError(
      `${setting.source} must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces; use a long random string, e.g. from openssl rand -hex 32`,
    );
  }
  return setting.value;
}

function resolveClusterSecret(setting: Setting | undefined): string | undefined {
  if (setting === undefined) return undefined;
  if (Buffer.byteLength(setting.value, 'utf8') < MIN_CLUSTER_SECRET_BYTES) {
    throw new CliError(
      `${setting.source} must be at least ${MIN_CLUSTER_SECRET_BYTES} bytes, the same on every node; generate one with openssl rand -base64 48`,
    );
  }
  return setting.value;
}

function resolveRedisUrl(setting: Setting | undefined): string | undefined {
  const text = nonEmpty(setting, 'a URL such as redis://127.0.0.1:6379');
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    throw new CliError(
      `${setting?.source} "${redactUrl(text)}" is not a Redis URL; write e.g. redis://127.0.0.1:6379`,
    );
  }
  return text;
}

function resolvePeriods(args: RawArguments) {
  const period = (option: string, value: string | undefined, fallback: number) =>
    integerSetting(
      value === undefined ? undefined : { value, source: option },
      fallback,
      1,
      2_147_483_647,
    );
  const broadcastPeriodMs = period(
    '--broadcast-period-ms',
    args.broadcastPeriodMs,
    DEFAULTS.broadcastPeriodMs,
  );
  const downPeriodMs = period('--down-period-ms', args.downPeriodMs, DEFAULTS.downPeriodMs);
  const permdownPeriodMs = period(
    '--permdown-period-ms',
    args.permdownPeriodMs,
    DEFAULTS.permdownPeriodMs,
  );
  if (downPeriodMs < 2 * broadcastPeriodMs) {
    throw new CliError(
      `--down-period-ms (${downPeriodMs}) must be at least twice --broadcast-period-ms (${broadcastPeriodMs}): raise --down-period-ms to ${2 * broadcastPeriodMs} or more, or lower --broadcast-period-ms`,
    );
  }
  if (permdownPeriodMs <= downPeriodMs) {
    throw new CliError(
      `--permdown-period-ms (${permdownPeriodMs}) must be larger than --down-period-ms (${downPeriodMs}): raise --permdown-period-ms`,
    );
  }
  return { broadcastPeriodMs, downPeriodMs, permdownPeriodMs };
}
