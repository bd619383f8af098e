/**
 * What a client token must be beyond a valid HS256 signature: when it expires (`exp` required
 * unless `requireExp: false`), a bounded lifetime (`exp` at most `maxAgeS` ahead, `iat`, when
 * present, at most `maxAgeS` old and not in the future), and, when configured, its audience and
 * issuer. `nbf` is honoured by jose. Every comparison allows JWT_CLOCK_TOLERANCE_S of clock skew
 * between the app that mints tokens and the node.
 */
import { InvalidOptionError } from '../../errors.js';
import { SECURITY_OPTIONS } from '../../options/index.js';

export interface JwtPolicy {
  /**
   * Refuse tokens without `exp`. Turning this off lets a leaked token without `exp` (and without
   * `iat`) work forever: unsafe. @default true
   */
  readonly requireExp?: boolean;
  /**
   * The longest token lifetime, in seconds: `exp` further ahead, or an `iat` older than this, is
   * refused (a token minted with `exp: 1e300` does not live forever). @default 86400 (a day)
   */
  readonly maxAgeS?: number;
  /** Accepted `aud` values: when given, a token must name one of them. @default not checked */
  readonly audience?: string | readonly string[];
  /** Accepted `iss` values: when given, a token must name one of them. @default not checked */
  readonly issuer?: string | readonly string[];
}

export interface ResolvedJwtPolicy {
  readonly requireExp: boolean;
  readonly maxAgeS: number;
  readonly audience: readonly string[] | undefined;
  readonly issuer: readonly string[] | undefined;
}

export const DEFAULT_JWT_MAX_AGE_S = SECURITY_OPTIONS.options.jwtMaxAgeS.default;
/** A year: tokens meant to live longer are a reason to rotate, not to raise the bound. */
export const MAX_JWT_MAX_AGE_S = SECURITY_OPTIONS.options.jwtMaxAgeS.max;
/** Clock skew allowed between the token's issuer and this node, in seconds. */
export const JWT_CLOCK_TOLERANCE_S = 5;

export function resolveJwtPolicy(policy: JwtPolicy | undefined): ResolvedJwtPolicy {
  if (policy !== undefined && (typeof policy !== 'object' || policy === null)) {
    throw new InvalidOptionError(
      'jwtPolicy must be an object { requireExp?, maxAgeS?, audience?, issuer? }',
    );
  }
  const { requireExp = true, maxAgeS = DEFAULT_JWT_MAX_AGE_S } = policy ?? {};
  if (typeof requireExp !== 'boolean') {
    throw new InvalidOptionError('jwtPolicy.requireExp must be a boolean');
  }
  if (
    typeof maxAgeS !== 'number' ||
    !Number.isInteger(maxAgeS) ||
    maxAgeS < 1 ||
    maxAgeS > MAX_JWT_MAX_AGE_S
  ) {
    throw new InvalidOptionError(
      `jwtPolicy.maxAgeS must be an integer from 1 to ${MAX_JWT_MAX_AGE_S} (seconds), got ${String(maxAgeS)}`,
    );
  }
  return {
    requireExp,
    maxAgeS,
    audience: claimValues('jwtPolicy.audience', policy?.audience),
    issuer: claimValues('jwtPolicy.issuer', policy?.issuer),
  };
}

function claimValues(
  name: string,
  value: string | readonly string[] | undefined,
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(values) ||
    values.length === 0 ||
    !values.every((v) => typeof v === 'string' && v.trim() !== '')
  ) {
    throw new InvalidOptionError(
      `${name} must be a non-empty string or a non-empty array of them, got ${JSON.stringify(value)}`,
    );
  }
  return [...values];
}

/**
 * Why a verified token's lifetime breaks the policy, or undefined. `exp` and `iat` are numbers
 * when present (jose checked); `nowS` is the current time in seconds.
 */
export function lifetimeProblem(
  claims: { readonly exp?: number | undefined; readonly iat?: number | undefined },
  policy: ResolvedJwtPolicy,
  nowS: number,
): string | undefined {
  const { exp, iat } = claims;
  const longest = policy.maxAgeS + JWT_CLOCK_TOLERANCE_S;
  if (exp === undefined && policy.requireExp) return 'no exp';
  if (exp !== undefined && exp - nowS > longest) return 'exp beyond the maximum token age';
  if (iat !== undefined && nowS - iat > longest) return 'iat older than the maximum token age';
  if (iat !== undefined && iat - nowS > JWT_CLOCK_TOLERANCE_S) return 'iat in the future';
  return undefined;
}
