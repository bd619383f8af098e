/**
 * From parsed arguments and the environment to a checked configuration (docs/usage.md, "Command
 * line"). An option wins over its environment variable; an empty variable counts as unset.
 * Every error names the option (or variable) and what to change.
 */
import { hostname } from 'node:os';
import { MIN_ADMIN_TOKEN_LENGTH } from '../http/admin-token.js';
import { ALL_OPTIONS } from '../options/index.js';
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
import { flagOf, flagOfOption, integerOf, settingOf } from './cli-options.js';
import { checkRedisUrl, type GraphSpec, parseGraphSpec } from './graph-spec.js';
import { type LastSeenSetting, resolveLastSeen } from './last-seen-spec.js';
import type { RawArguments } from './parse-arguments.js';
import { type Environment, nonEmpty, type Setting } from './settings.js';
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
  /** The previous key, still accepted on received frames in a rotation's second phase. */
  readonly clusterSecretPrevious: string | undefined;
  /** The next key, already accepted on received frames in a rotation's first phase. */
  readonly clusterSecretNext: string | undefined;
  /** The Redis channels' namespace; undefined: the bus's default (derived from the secret). */
  readonly channelPrefix: string | undefined;
  /** Only with --demo: demo tokens for anyone, the demo page. */
  readonly demo: boolean;
  readonly broadcastPeriodMs: number;
  readonly downPeriodMs: number;
  readonly permdownPeriodMs: number;
  /** How long a down node's presences stay for their devices to take them over (0: none). */
  readonly crashGraceMs: number;
  /** The longest a socket's diffs wait to be merged under load. */
  readonly maxBatchDelayMs: number;
  /** How long a dropped connection stays visible for a reconnect (0: none). */
  readonly leaveGraceMs: number;
  /** On SIGTERM, the window over which clients move to other nodes (0: no drain). */
  readonly drainMs: number;
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

/** The defaults the command line shows, from the schema (src/options/). */
export const DEFAULTS = Object.freeze({
  port: ALL_OPTIONS.port.default,
  host: ALL_OPTIONS.host.default,
  broadcastPeriodMs: ALL_OPTIONS.broadcastPeriodMs.default,
  /** With the default broadcast period; it follows a longer one (src/options/timing.ts). */
  downPeriodMs: ALL_OPTIONS.downPeriodMs.default,
  permdownPeriodMs: ALL_OPTIONS.permdownPeriodMs.default,
  crashGraceMs: ALL_OPTIONS.crashGraceMs.default,
  maxBatchDelayMs: ALL_OPTIONS.maxBatchDelayMs.default,
  leaveGraceMs: ALL_OPTIONS.leaveGraceMs.default,
  offlineDelayMs: ALL_OPTIONS.offlineDelayMs.default,
  maxInboundPerSecond: ALL_OPTIONS.maxInboundPerSecond.default,
  handshakesPerSecond: ALL_OPTIONS.handshakesPerSecond.default,
  subscriptionRecheckMs: ALL_OPTIONS.subscriptionRecheckMs.default,
});

export function resolveConfig(args: RawArguments, env: Environment, pid = process.pid): CliConfig {
  const port = integerOf('port', args, env);
  const host =
    nonEmpty(settingOf('host', args, env), 'an address such as 127.0.0.1 or 0.0.0.0') ??
    DEFAULTS.host;
  const nodeName = resolveNodeName(settingOf('nodeName', args, env), pid);
  const redisUrl = resolveRedisUrl(settingOf('redis', args, env));
  const graphSetting = settingOf('graph', args, env);
  const graph = parseGraphSpec(graphSetting?.value, graphSetting?.source);
  const lastSeenSetting = settingOf('lastSeen', args, env);
  nonEmpty(lastSeenSetting, 'memory, redis:<url> or postgres:<connection string>');
  const lastSeen = resolveLastSeen(lastSeenSetting, redisUrl);
  const adminToken = resolveAdminToken(settingOf('adminToken', args, env));
  const clusterSecret = resolveClusterSecret(
    settingOf('clusterSecret', args, env),
    env,
    ALL_OPTIONS.clusterSecret.env,
  );
  const clusterSecretPrevious = resolveRotationSecret(
    settingOf('clusterSecretPrevious', args, env),
    env,
    ALL_OPTIONS.clusterSecretPrevious.env,
    clusterSecret,
    'the new secret frames are signed with',
  );
  const clusterSecretNext = resolveRotationSecret(
    settingOf('clusterSecretNext', args, env),
    env,
    ALL_OPTIONS.clusterSecretNext.env,
    clusterSecret,
    'the current secret frames are still signed with',
  );
  const channelPrefix = resolveChannelPrefix(settingOf('channelPrefix', args, env));
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
    clusterSecretNext,
    channelPrefix,
    demo: flagOf('demo', args, env),
    ...resolvePeriods(args, env),
    crashGraceMs: integerOf('crashGraceMs', args, env),
    maxBatchDelayMs: integerOf('maxBatchDelayMs', args, env),
    leaveGraceMs: integerOf('leaveGraceMs', args, env),
    drainMs: integerOf('drainMs', args, env),
    offlineDelayMs: integerOf('offlineDelayMs', args, env),
    maxInboundPerSecond: integerOf('maxInboundPerSecond', args, env),
    handshakesPerSecond: integerOf('handshakesPerSecond', args, env),
    trustForwardedFor: flagOf('trustForwardedFor', args, env),
    subscriptionRecheckMs: integerOf('subscriptionRecheckMs', args, env),
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

/**
 * A cluster secret variable set but empty is an error, not "no secret": a deployment template
 * whose secret did not render must not start an unauthenticated bus.
 */
function resolveClusterSecret(
  setting: Setting | undefined,
  env: Environment,
  variable: string,
): string | undefined {
  if (setting === undefined && env[variable] !== undefined) {
    throw new CliError(
      `${variable} is set but empty; give the cluster's secret (at least ${MIN_CLUSTER_SECRET_BYTES} bytes, e.g. from openssl rand -base64 48), or unset the variable`,
    );
  }
  if (setting === undefined) return undefined;
  if (Buffer.byteLength(setting.value, 'utf8') < MIN_CLUSTER_SECRET_BYTES) {
    throw new CliError(
      `${setting.source} must be at least ${MIN_CLUSTER_SECRET_BYTES} bytes, the same on every node; generate one with openssl rand -base64 48`,
    );
  }
  return setting.value;
}

function resolveRotationSecret(
  setting: Setting | undefined,
  env: Environment,
  variable: string,
  clusterSecret: string | undefined,
  role: string,
): string | undefined {
  const secret = resolveClusterSecret(setting, env, variable);
  if (secret !== undefined && clusterSecret === undefined) {
    throw new CliError(
      `${setting?.source} needs ${flagOfOption('clusterSecret')} (${ALL_OPTIONS.clusterSecret.env}), ${role}`,
    );
  }
  return secret;
}

function resolveChannelPrefix(setting: Setting | undefined): string | undefined {
  const prefix = nonEmpty(setting, 'a name for this cluster, e.g. presence-eu');
  if (prefix === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,100}$/.test(prefix)) {
    throw new CliError(
      `${setting?.source} must be 1 to 100 printable ASCII characters without spaces, e.g. presence-eu`,
    );
  }
  return prefix;
}

function resolveRedisUrl(setting: Setting | undefined): string | undefined {
  const text = nonEmpty(setting, 'a URL such as redis://127.0.0.1:6379');
  if (text === undefined || setting === undefined) return undefined;
  return checkRedisUrl(text, setting.source);
}

function resolvePeriods(args: RawArguments, env: Environment) {
  const broadcastPeriodMs = integerOf('broadcastPeriodMs', args, env);
  const silent = DEFAULT_TIMING.maxSilentPeriods;
  const downPeriodMs = integerOf(
    'downPeriodMs',
    args,
    env,
    defaultDownPeriodMs(broadcastPeriodMs, silent),
  );
  const permdownPeriodMs = integerOf('permdownPeriodMs', args, env);
  const [broadcast, down, permdown] = (
    ['broadcastPeriodMs', 'downPeriodMs', 'permdownPeriodMs'] as const
  ).map(flagOfOption);
  // An idle node heartbeats only every (silent periods + 1) broadcast periods: a shorter down
  // period takes quiet nodes for down, and all their users leave and rejoin everywhere.
  const minimumDownMs = minimumDownPeriodMs(broadcastPeriodMs, silent);
  if (downPeriodMs < minimumDownMs) {
    throw new CliError(
      `${down} (${downPeriodMs}) is too short: an idle node heartbeats only every ${silent + 1} × ${broadcast} (${idleHeartbeatIntervalMs(broadcastPeriodMs, silent)} ms); raise ${down} to ${minimumDownMs} or more, or lower ${broadcast}`,
    );
  }
  if (permdownPeriodMs <= downPeriodMs) {
    throw new CliError(
      `${permdown} (${permdownPeriodMs}) must be larger than ${down} (${downPeriodMs}): raise ${permdown}`,
    );
  }
  return { broadcastPeriodMs, downPeriodMs, permdownPeriodMs };
}
