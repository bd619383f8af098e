/** The text of `graph-presence --help`: the options from the schema (src/options/), then notes. */
import type { OptionSpec } from '../options/index.js';
import { defaultText, flagWithValue } from '../options/options-docs.js';
import { cliOptions } from './cli-options.js';

const WIDTH = 100;
const INDENT = 29;

/** Markdown to plain text: backticks dropped. */
function plain(text: string): string {
  return text.replaceAll('`', '');
}

/** `[VARIABLE, default x]` of an option. */
function bracket(spec: OptionSpec): string {
  const parts: string[] = [];
  if (spec.env !== undefined) {
    parts.push(
      spec.secret === true ? `${spec.env}: prefer the variable, options show in ps` : spec.env,
    );
  }
  const fallback = plain(defaultText(spec));
  if (!(spec.type === 'flag' && fallback === 'off')) parts.push(`default ${fallback}`);
  return parts.length === 0 ? '' : `  [${parts.join(', ')}]`;
}

/** `words` after `first` (INDENT wide), wrapped to WIDTH, continued at INDENT. */
function wrap(first: string, words: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words.split(' ').filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(INDENT);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** Each option: its flag and value, then its doc and its variable and default. */
export function optionLines(): string[] {
  return cliOptions().flatMap(({ spec }) => {
    const head = `  ${flagWithValue(spec)}`;
    const text = `${plain(spec.doc)}${bracket(spec)}`;
    if (head.length < INDENT) return wrap(head.padEnd(INDENT), text);
    return [head, ...wrap(' '.repeat(INDENT), text)];
  });
}

export function helpText(version: string): string {
  return `graph-presence ${version}: friend-graph presence over socket.io

Usage: graph-presence [options]
       graph-presence token <user> [--ttl 1h] [--aud <aud>] [--iss <iss>]
                             print a client token signed with PRESENCE_JWT_SECRET (token --help)

Options (an option wins over its environment variable):
${optionLines().join('\n')}
  -h, --help                 print this help
  -v, --version              print the version

Without a JWT secret the node starts only with --demo. --demo on an address other than
loopback prints a warning: anyone who reaches it can be anyone.

HTTP: GET /healthz, GET /readyz (ready: bus up, synced, graph answering); with --demo also GET /
(demo page), GET /demo/token?user=<id>; with --admin-token GET /metrics and the admin routes
(docs/usage.md, "Admin HTTP routes").
Logs: JSON lines (pino) on stderr; LOG_LEVEL sets the level (default info).
Exit codes: 0 after SIGTERM/SIGINT, 2 for an invalid option or an unreachable service.
`;
}
