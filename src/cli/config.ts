/**
 * From parsed arguments and the environment to a checked configuration (docs/usage.md, "Command
 * line"). An option wins over its environment variable; an empty variable counts as unset.
 * Every error names the option (or variable) and what to change.
 */
import { hostname } from 'node:os';
import { DEFAULT_MAX_BATCH_DELAY_MS } from '../gateway/outbound/batch-window.js';
import { DEFAULT_SUBSCRIPTION_RECHECK_MS } from '../gateway/session/subscription-recheck.js';
import { MIN_ADMIN_TOKEN_LENGTH } from '../http/admin-token.js';
import {
  DEFAULT_TIMING,
  defaultDownPeriodMs,
  idleHeartbeatIntervalMs,
  minimumDownPeriodMs,
} from '../runtime/replica-options.js';
import { MIN_CLUSTER_SECRET_BYTES } from '../transports/cluster-secret.js';
import { MAX_REPLICA_ID_BYTES } from '../transports/replica-id.js';
import { type AuthConfig, resolveAuthConfig } from './auth-config.js';
import { CliError } from './cli-error.js';
import { type GraphSpec, parseGraphSpec, redactUrl } from './graph-spec.js';
import { type LastSeenSetting, resolveLastSeen } from './last-seen-spec.js';
import type { RawArguments } from './parse-arguments.js';
import {
  type Environment,
  flagSetting,
  integerSetting,
  nonEmpty,
  pick,
  type Setting,
} from './settings.js';
import { resolveWebhookConfig, type WebhookCliConfig } from './webhook-config.js';

export interface CliConfig extends AuthConfig {
  readonly port: number;
  readonly host: string;
  readonly nodeName: string;
  /** Redis URL for replication; undefined = one node, in-memory transport. */
  readonly redisUrl: string | undefined;
  readonly graph: GraphSpec;
  /** Where last seen is kept: memory alone, the --redis URL in a cluster, unless given. */
  readonly lastSeen: LastSeenSetting;
  /** Bearer token of the admin HTTP routes; undefined = admin routes off. */
  readonly adminToken: string | undefined;
  /** Key of the node bus's frame MACs; undefined = frames not authenticated. */
  readonly clusterSecret: string | undefined;
  /** The previous key, still accepted on received frames during a rotation. */
  readonly clusterSecretPrevious: string | undefined;
  /** Only with --demo: demo tokens for anyone, the demo page. */
  readonly demo: boolean;
  readonly broadcastPeriodMs: number;
  readonly downPeriodMs: number;
  readonly permdownPeriodMs: number;
  /** The longest a socket's diffs wait to be merged under load. */
  readonly maxBatchDelayMs: number;
  /** How long a dropped connection stays visible for a reconnect (0: none). */
  readonly leaveGraceMs: number;
  /** How long a user with no visible device stays online for webhooks and last seen. */
  readonly offlineDelayMs: number;
  /** Packets per second one connection may send (bursts of 4×); over it, closed. */
  readonly maxInboundPerSecond: number;
  /** Handshakes per second one address may make (bursts of 5×); 0: no limit. */
  readonly handshakesPerSecond: number;
  /** Limit handshakes by the first X-Forwarded-For address (behind a proxy you run). */
  readonly trustForwardedFor: boolean;
  /** Each connection's friends are re-checked against the graph this often (0: never). */
  readonly subscriptionRecheckMs: number;
  /** Where online/offline events go, signed with the secret; undefined: no webhooks. */
  readonly webhook: WebhookCliConfig | undefined;
}

export const DEFAULTS = Object.freeze({
  port: 4000,
  host: '127.0.0.1',
  broadcastPeriodMs: 1_500,
  /** With the default broadcast period; it follows a longer one (replica-options.ts). */
  downPeriodMs: 30_000,
  permdownPeriodMs: 1_200_000,
  maxBatchDelayMs: DEFAULT_MAX_BATCH_DELAY_MS,
  leaveGraceMs: 5_000,
  offlineDelayMs: 5_000,
  maxInboundPerSecond: 50,
  handshakesPerSecond: 20,
  subscriptionRecheckMs: DEFAULT_SUBSCRIPTION_RECHECK_MS,
});

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
  const lastSeenSetting = pick('--last-seen', args.lastSeen, env, 'PRESENCE_LAST_SEEN');
  nonEmpty(lastSeenSetting, 'memory, redis:<url> or postgres:<connection string>');
  const lastSeen = resolveLastSeen(lastSeenSetting, redisUrl);
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
  const offlineDelayMs = integerSetting(
    pick('--offline-delay-ms', args.offlineDelayMs, env, 'PRESENCE_OFFLINE_DELAY_MS'),
    DEFAULTS.offlineDelayMs,
    1,
    2_147_483_647,
  );
  return {
    port,
    host,
    nodeName,
    redisUrl,
    graph,
    lastSeen,
    ...resolveAuthConfig(args, env),
    adminToken,
    clusterSecret,
    clusterSecretPrevious,
    demo: args.demo,
    ...timing,
    maxBatchDelayMs: integerSetting(
      pick('--max-batch-delay-ms', args.maxBatchDelayMs, env, 'PRESENCE_MAX_BATCH_DELAY_MS'),
      DEFAULTS.maxBatchDelayMs,
      0,
      10_000,
    ),
    leaveGraceMs,
    offlineDelayMs,
    maxInboundPerSecond: integerSetting(
      pick(
        '--max-inbound-per-second',
        args.maxInboundPerSecond,
        env,
        'PRESENCE_MAX_INBOUND_PER_SECOND',
      ),
      DEFAULTS.maxInboundPerSecond,
      1,
      1_000_000,
    ),
    handshakesPerSecond: integerSetting(
      pick(
        '--handshakes-per-second',
        args.handshakesPerSecond,
        env,
        'PRESENCE_HANDSHAKES_PER_SECOND',
      ),
      DEFAULTS.handshakesPerSecond,
      0,
      1_000_000,
    ),
    trustForwardedFor: flagSetting(
      '--trust-forwarded-for',
      args.trustForwardedFor,
      env,
      'PRESENCE_TRUST_FORWARDED_FOR',
    ),
    subscriptionRecheckMs: integerSetting(
      pick(
        '--subscription-recheck-ms',
        args.subscriptionRecheckMs,
        env,
        'PRESENCE_SUBSCRIPTION_RECHECK_MS',
      ),
      DEFAULTS.subscriptionRecheckMs,
      0,
      2_147_483_647,
    ),
    webhook: resolveWebhookConfig(args, env),
  };
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
  const silent = DEFAULT_TIMING.maxSilentPeriods;
  const downPeriodMs = period(
    '--down-period-ms',
    args.downPeriodMs,
    defaultDownPeriodMs(broadcastPeriodMs, silent),
  );
  const permdownPeriodMs = period(
    '--permdown-period-ms',
    args.permdownPeriodMs,
    DEFAULTS.permdownPeriodMs,
  );
  // An idle node heartbeats only every (silent periods + 1) broadcast periods: a shorter down
  // period takes quiet nodes for down, and all their users leave and rejoin everywhere.
  const minimumDownMs = minimumDownPeriodMs(broadcastPeriodMs, silent);
  if (downPeriodMs < minimumDownMs) {
    throw new CliError(
      `--down-period-ms (${downPeriodMs}) is too short: an idle node heartbeats only every ${silent + 1} × --broadcast-period-ms (${idleHeartbeatIntervalMs(broadcastPeriodMs, silent)} ms); raise --down-period-ms to ${minimumDownMs} or more, or lower --broadcast-period-ms`,
    );
  }
  if (permdownPeriodMs <= downPeriodMs) {
    throw new CliError(
      `--permdown-period-ms (${permdownPeriodMs}) must be larger than --down-period-ms (${downPeriodMs}): raise --permdown-period-ms`,
    );
  }
  return { broadcastPeriodMs, downPeriodMs, permdownPeriodMs };
}
