/**
 * The command line's security settings (docs/usage.md, "Command line"): the JWT secret (at least
 * 32 bytes; none only with --demo), the token policy, the metrics-only listen address, and which
 * secrets were given as options (visible to every local user in `ps`) rather than variables.
 */
import { MIN_JWT_SECRET_BYTES } from '../gateway/edge/authentication.js';
import { DEFAULT_JWT_MAX_AGE_S, MAX_JWT_MAX_AGE_S } from '../gateway/edge/jwt-policy.js';
import { CliError } from './cli-error.js';
import type { RawArguments } from './parse-arguments.js';
import {
  type Environment,
  flagSetting,
  integerSetting,
  nonEmpty,
  pick,
  type Setting,
} from './settings.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A secret option and the variable to pass it through instead. */
export interface SecretOption {
  readonly option: string;
  readonly variable: string;
}

export interface AuthConfig {
  /** undefined only in demo mode: a random per-process secret is made then. */
  readonly jwtSecret: string | undefined;
  /** The gateway's JwtPolicy; aud and iss are one value each on the command line. */
  readonly jwtPolicy: {
    readonly requireExp: boolean;
    readonly maxAgeS: number;
    readonly audience?: string;
    readonly issuer?: string;
  };
  /** Where /metrics is served alone, without auth; undefined: only on the main port. */
  readonly metricsListen: ListenAddress | undefined;
  /** Secrets given on the command line, which `ps` shows to every local user. */
  readonly secretsOnCommandLine: readonly SecretOption[];
}

const SECRET_OPTIONS: readonly (SecretOption & { readonly key: keyof RawArguments })[] = [
  { option: '--jwt-secret', variable: 'PRESENCE_JWT_SECRET', key: 'jwtSecret' },
  { option: '--admin-token', variable: 'PRESENCE_ADMIN_TOKEN', key: 'adminToken' },
  { option: '--cluster-secret', variable: 'PRESENCE_CLUSTER_SECRET', key: 'clusterSecret' },
  {
    option: '--cluster-secret-previous',
    variable: 'PRESENCE_CLUSTER_SECRET_PREVIOUS',
    key: 'clusterSecretPrevious',
  },
  { option: '--webhook-secret', variable: 'PRESENCE_WEBHOOK_SECRET', key: 'webhookSecret' },
];

export function resolveAuthConfig(args: RawArguments, env: Environment): AuthConfig {
  const jwtSecret = resolveJwtSecret(
    pick('--jwt-secret', args.jwtSecret, env, 'PRESENCE_JWT_SECRET'),
    args.demo,
  );
  const audience = nonEmpty(
    pick('--jwt-audience', args.jwtAudience, env, 'PRESENCE_JWT_AUDIENCE'),
    'the aud your tokens carry, e.g. presence',
  );
  const issuer = nonEmpty(
    pick('--jwt-issuer', args.jwtIssuer, env, 'PRESENCE_JWT_ISSUER'),
    'the iss your tokens carry, e.g. https://app.example.com',
  );
  const jwtPolicy = {
    requireExp: !flagSetting(
      '--jwt-allow-no-exp',
      args.jwtAllowNoExp,
      env,
      'PRESENCE_JWT_ALLOW_NO_EXP',
    ),
    maxAgeS: integerSetting(
      pick('--jwt-max-age-s', args.jwtMaxAgeS, env, 'PRESENCE_JWT_MAX_AGE_S'),
      DEFAULT_JWT_MAX_AGE_S,
      1,
      MAX_JWT_MAX_AGE_S,
    ),
    ...(audience === undefined ? {} : { audience }),
    ...(issuer === undefined ? {} : { issuer }),
  };
  return {
    jwtSecret,
    jwtPolicy,
    metricsListen: resolveListenAddress(
      pick('--metrics-listen', args.metricsListen, env, 'PRESENCE_METRICS_LISTEN'),
    ),
    secretsOnCommandLine: SECRET_OPTIONS.filter(({ key }) => args[key] !== undefined).map(
      ({ option, variable }) => ({ option, variable }),
    ),
  };
}

function resolveJwtSecret(setting: Setting | undefined, demo: boolean): string | undefined {
  if (setting === undefined) {
    if (demo) return undefined;
    throw new CliError(
      `no JWT secret: set PRESENCE_JWT_SECRET to at least ${MIN_JWT_SECRET_BYTES} random bytes (e.g. openssl rand -base64 48), or pass --demo to try it locally with demo tokens for anyone`,
    );
  }
  const bytes = Buffer.byteLength(setting.value, 'utf8');
  if (bytes < MIN_JWT_SECRET_BYTES || setting.value.trim() === '') {
    throw new CliError(
      `${setting.source} must be at least ${MIN_JWT_SECRET_BYTES} bytes (got ${bytes}): a short secret can be guessed from any token; use e.g. openssl rand -base64 48`,
    );
  }
  return setting.value;
}

/** `<port>` (on 127.0.0.1), `<host>:<port>` or `[<ipv6>]:<port>`. */
function resolveListenAddress(setting: Setting | undefined): ListenAddress | undefined {
  if (setting === undefined) return undefined;
  const match = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(setting.value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65_535) {
    throw new CliError(
      `${setting.source} must be <host>:<port> or <port>, e.g. 127.0.0.1:9464, got "${setting.value}"`,
    );
  }
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}
