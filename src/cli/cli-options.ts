/**
 * The schema's options (src/options/) as the command line sees them: those with a flag, read
 * from the flag or else the variable, and checked against their spec. Every option of the
 * command line goes through here; errors name the flag or the variable.
 */
import {
  ALL_OPTIONS,
  type CliOptionName,
  type FlagSpec,
  type IntegerSpec,
  type OptionName,
  type OptionSpec,
  optionEntries,
  type TextSpec,
} from '../options/index.js';
import type { RawArguments } from './parse-arguments.js';
import { type Environment, flagSetting, integerSetting, pick, type Setting } from './settings.js';

type WithFlag<S extends OptionSpec> = S & { readonly flag: `--${string}` };

export interface CliOption {
  readonly name: CliOptionName;
  readonly spec: WithFlag<OptionSpec>;
}

/** Every option with a flag, in the schema's order. */
export function cliOptions(): CliOption[] {
  return optionEntries()
    .filter(([, spec]) => spec.flag !== undefined)
    .map(([name, spec]) => ({ name: name as CliOptionName, spec: spec as WithFlag<OptionSpec> }));
}

type NamesOf<T> = {
  [K in CliOptionName]: (typeof ALL_OPTIONS)[K] extends T ? K : never;
}[CliOptionName];

function specOf<S extends OptionSpec>(name: OptionName): WithFlag<S> {
  return ALL_OPTIONS[name] as unknown as WithFlag<S>;
}

/** An option's setting: its flag's value, else its variable's, else undefined. */
export function settingOf(
  name: NamesOf<{ readonly type: 'text' | 'integer' }>,
  args: RawArguments,
  env: Environment,
): Setting | undefined {
  const spec = specOf<TextSpec | IntegerSpec>(name);
  return pick(spec.flag, args[name] as string | undefined, env, spec.env);
}

/** An integer option: flag, variable or default, within the spec's bounds. */
export function integerOf(
  name: NamesOf<{ readonly type: 'integer' }>,
  args: RawArguments,
  env: Environment,
  fallback?: number,
): number {
  const spec = specOf<IntegerSpec>(name);
  return integerSetting(settingOf(name, args, env), fallback ?? spec.default, spec.min, spec.max);
}

/** A boolean option: the flag, else its variable (`true`/`1`, `false`/`0`), else false. */
export function flagOf(
  name: NamesOf<{ readonly type: 'flag' }>,
  args: RawArguments,
  env: Environment,
): boolean {
  const spec = specOf<FlagSpec>(name);
  const given = args[name] as boolean;
  if (spec.env === undefined) return given;
  return flagSetting(spec.flag, given, env, spec.env);
}

/** The flag of an option, for messages. */
export function flagOfOption(name: CliOptionName): string {
  return specOf(name).flag;
}

/** The secret options given as flags (which `ps` shows) and their variables. */
export function secretsGivenAsFlags(
  args: RawArguments,
): { readonly option: string; readonly variable: string }[] {
  return cliOptions()
    .filter(({ name, spec }) => spec.secret === true && args[name] !== undefined)
    .map(({ spec }) => ({ option: spec.flag, variable: spec.env ?? spec.flag }));
}
