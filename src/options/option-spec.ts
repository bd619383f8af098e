/**
 * How an option is declared, once (docs/architecture.md, "Options"): its name, type, default,
 * bounds, environment variable, command-line flag and one line of documentation. The library's
 * validation ({@link integerOption}), the CLI's parser and checks (src/cli/), `--help` and the
 * tables of docs/usage.md are all made from these declarations; test/options/ and
 * test/architecture/options.test.ts keep them so.
 *
 * Adding an option: one entry in the group it belongs to (a file of this folder). Give it a
 * `flag` to have it on the command line (and an `env` for its variable), `library: true` to have
 * it as a numeric option of createPresenceServer of the same name.
 */
import { InvalidOptionError } from '../errors.js';

/** setTimeout's longest delay: the bound of every duration that is a timer's delay. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

interface SpecBase {
  /**
   * The command-line flag, `--` and the name in kebab case (the name is its camel case). Absent:
   * a library option only.
   */
  readonly flag?: `--${string}`;
  /** The environment variable read when the flag is not given (an empty one counts as unset). */
  readonly env?: string;
  /** One line for `--help` and docs/usage.md (Markdown: backticks are dropped in `--help`). */
  readonly doc: string;
  /** How the default reads, when it is not just the value (or there is none). */
  readonly defaultDoc?: string;
  /** A secret: `ps` shows options to every local user, so pass it through its variable. */
  readonly secret?: boolean;
}

export interface IntegerSpec extends SpecBase {
  readonly type: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** The unit, named in the library's errors. */
  readonly unit?: 'ms' | 's';
  /** What the value's placeholder reads in `--help` and the docs. @default `<n>` */
  readonly value?: string;
  /** A numeric option of createPresenceServer (and the gateway) under the same name. */
  readonly library?: boolean;
  /** What 0 means, when it is allowed and special (for errors). */
  readonly zero?: string;
}

export interface TextSpec extends SpecBase {
  readonly type: 'text';
  /** The value's placeholder, e.g. `<url>`. */
  readonly value: string;
  /** The value when neither the flag nor the variable is given. @default none */
  readonly default?: string;
}

export interface FlagSpec extends SpecBase {
  readonly type: 'flag';
}

export type OptionSpec = IntegerSpec | TextSpec | FlagSpec;

/** A group of options: a title for the docs, and its options by name, in the order shown. */
export interface OptionGroup<S extends Readonly<Record<string, OptionSpec>>> {
  readonly title: string;
  readonly options: S;
}

export function optionGroup<const S extends Readonly<Record<string, OptionSpec>>>(
  title: string,
  options: S,
): OptionGroup<S> {
  return { title, options };
}

/** The numeric library options of a group's specs, as createPresenceServer takes them. */
export type LibraryOptions<S> = {
  readonly [K in keyof S as S[K] extends { readonly library: true } ? K : never]?: number;
};

/** The names of the library options of `specs`. */
export function libraryOptionNames(specs: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(specs)
    .filter(([, spec]) => spec.type === 'integer' && spec.library === true)
    .map(([name]) => name);
}

/**
 * A library option's value checked against its spec: the default when undefined, else an integer
 * within the bounds; InvalidOptionError naming the option (`where` prefixes it) and the range.
 */
export function integerOption(
  name: string,
  spec: IntegerSpec,
  value: unknown,
  where?: string,
): number {
  if (value === undefined) return spec.default;
  if (typeof value === 'number' && Number.isInteger(value) && value >= spec.min) {
    if (value <= spec.max) return value;
  }
  const notes = [
    ...(spec.unit === undefined ? [] : [spec.unit]),
    ...(spec.zero === undefined ? [] : [`0: ${spec.zero}`]),
  ];
  const note = notes.length === 0 ? '' : ` (${notes.join('; ')})`;
  const label = where === undefined ? name : `${where}: ${name}`;
  throw new InvalidOptionError(
    `${label} must be an integer from ${spec.min} to ${spec.max}${note}, got ${String(value)}`,
  );
}
