/**
 * One setting read from a flag or its environment variable, and the checks every setting
 * shares; messages name where the value came from, so the user knows what to change.
 */
import { CliError } from './cli-error.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface Setting {
  readonly value: string;
  /** How the setting is named in messages: `--port` or `PORT (environment)`. */
  readonly source: string;
}

export function pick(
  option: string,
  value: string | undefined,
  env: Environment,
  variable?: string,
) {
  if (value !== undefined) return { value, source: option };
  const fromEnv = variable === undefined ? undefined : env[variable];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { value: fromEnv, source: `${variable} (environment, or ${option})` };
  }
  return undefined;
}

export function integerSetting(
  setting: Setting | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (setting === undefined) return fallback;
  const { value, source } = setting;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${source} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function nonEmpty(setting: Setting | undefined, example: string): string | undefined {
  if (setting === undefined) return undefined;
  if (setting.value.trim() === '') {
    throw new CliError(`${setting.source} must not be empty; give ${example}`);
  }
  return setting.value;
}

/** A boolean option: the flag, else its variable (`true`/`1` or `false`/`0`), else false. */
export function flagSetting(
  option: string,
  given: boolean,
  env: Environment,
  variable: string,
): boolean {
  if (given) return true;
  const value = env[variable];
  if (value === undefined || value === '') return false;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new CliError(
    `${variable} (environment, or ${option}) must be true or false, got "${value}"`,
  );
}
