/**
 * The command line's security settings (docs/usage.md, "Command line"): the JWT secret (at least
 * 32 bytes; none only with --demo), the token policy, the metrics-only listen address, and which
 * secrets were given as options (visible to every local user in `ps`) rather than variables.
 */
import { MIN_JWT_SECRET_BYTES } from '../gateway/edge/authentication.js';
import { ALL_OPTIONS } from '../options/index.js';
import { CliError } from './cli-error.js';
import { flagOf, integerOf, secretsGivenAsFlags, settingOf } from './cli-options.js';
import type { RawArguments } from './parse-arguments.js';
import { type Environment, nonEmpty, type Setting } from './settings.js';

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

export function resolveAuthConfig(args: RawArguments, env: Environment): AuthConfig {
  const jwtSecret = resolveJwtSecret(settingOf('jwtSecret', args, env), flagOf('demo', args, env));
  const audience = nonEmpty(
    settingOf('jwtAudience', args, env),
    'the aud your tokens carry, e.g. presence',
  );
  const issuer = nonEmpty(
    settingOf('jwtIssuer', args, env),
    'the iss your tokens carry, e.g. https://app.example.com',
  );
  const jwtPolicy = {
    requireExp: !flagOf('jwtAllowNoExp', args, env),
    maxAgeS: integerOf('jwtMaxAgeS', args, env),
    ...(audience === undefined ? {} : { audience }),
    ...(issuer === undefined ? {} : { issuer }),
  };
  return {
    jwtSecret,
    jwtPolicy,
    metricsListen: resolveListenAddress(settingOf('metricsListen', args, env)),
    secretsOnCommandLine: secretsGivenAsFlags(args),
  };
}

function resolveJwtSecret(setting: Setting | undefined, demo: boolean): string | undefined {
  if (setting === undefined) {
    if (demo) return undefined;
    throw new CliError(
      `no JWT secret: set ${ALL_OPTIONS.jwtSecret.env} to at least ${MIN_JWT_SECRET_BYTES} random bytes (e.g. openssl rand -base64 48), or pass --demo to try it locally with demo tokens for anyone`,
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
