/**
 * The command line, parsed strictly with node:util parseArgs: unknown options, missing values
 * and positional arguments are CliErrors naming what to change.
 */
import { parseArgs } from 'node:util';
import type { ALL_OPTIONS, CliOptionName } from '../options/index.js';
import { CliError } from './cli-error.js';
import { cliOptions } from './cli-options.js';

/** What the command line gave: each schema option by name (src/options/), and -h, -v. */
export type RawArguments = {
  readonly [K in CliOptionName]: (typeof ALL_OPTIONS)[K] extends { readonly type: 'flag' }
    ? boolean
    : string | undefined;
} & { readonly help: boolean; readonly version: boolean };

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** node:util's option table, from the schema: a flag is a boolean, anything else a string. */
const OPTIONS: ParseOptions = {
  ...Object.fromEntries(
    cliOptions().map(({ spec }) => [
      spec.flag.slice(2),
      { type: spec.type === 'flag' ? 'boolean' : 'string' },
    ]),
  ),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

const HELP_HINT = 'run graph-presence --help for the options';

export function parseArguments(argv: readonly string[]): RawArguments {
  let parsed: ReturnType<typeof parseArgs<{ options: ParseOptions; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new CliError(describeParseError(error));
  }
  const [positional] = parsed.positionals;
  if (positional !== undefined) {
    throw new CliError(
      `unexpected argument "${positional}": options start with -- (e.g. --port 4000); ${HELP_HINT}`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const raw: Record<string, string | boolean | undefined> = {
    help: values['help'] === true,
    version: values['version'] === true,
  };
  for (const { name, spec } of cliOptions()) {
    const value = values[spec.flag.slice(2)];
    raw[name] = spec.type === 'flag' ? value === true : (value as string | undefined);
  }
  return raw as RawArguments;
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = String(message ?? error);
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const option = /'([^']+)'/.exec(text)?.[1] ?? 'option';
      return `unknown option ${option}; ${HELP_HINT}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = /'(--?[\w-]+)/.exec(text)?.[1];
      if (option && /argument missing|ambiguous/.test(text)) {
        return `${option} needs a value (e.g. ${option} <value>); ${HELP_HINT}`;
      }
      if (option && /does not take an argument/.test(text))
        return `${option} takes no value (write ${option} alone); ${HELP_HINT}`;
      return `${text.split('\n')[0]}; ${HELP_HINT}`;
    }
    default:
      return `${text.split('\n')[0]}; ${HELP_HINT}`;
  }
}
