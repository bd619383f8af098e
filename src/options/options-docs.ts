/**
 * The options tables of docs/usage.md, made from the schema (src/options/): one table of the
 * command line per option group, and one of createPresenceServer's numeric options. The docs
 * hold them between `<!-- options:cli -->` / `<!-- options:library -->` and `<!-- /options -->`
 * markers; test/options/options-schema.test.ts fails when they differ. Rewrite them with
 * `npm run docs:options`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPTION_GROUPS, type OptionSpec, optionEntries } from './index.js';

/** `--flag <value>`, or the flag alone for a boolean. */
export function flagWithValue(spec: OptionSpec & { readonly flag: string }): string {
  if (spec.type === 'flag') return spec.flag;
  return `${spec.flag} ${spec.type === 'text' ? spec.value : (spec.value ?? '<n>')}`;
}

/** How an option's default reads (Markdown). */
export function defaultText(spec: OptionSpec): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  if (spec.type === 'flag') return 'off';
  return spec.default === undefined ? 'none' : String(spec.default);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (text: string) => [...text].length;
  const widths = header.map((title, column) =>
    Math.max(width(title), ...rows.map((row) => width(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell + ' '.repeat(widths[i]! - width(cell))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One table per group of the options that have a flag. */
export function renderCliTables(): string {
  const parts: string[] = [];
  for (const group of OPTION_GROUPS) {
    const rows = Object.values(group.options as Record<string, OptionSpec>)
      .filter((spec): spec is OptionSpec & { flag: `--${string}` } => spec.flag !== undefined)
      .map((spec) => [
        `\`${flagWithValue(spec)}\``,
        spec.env === undefined ? '' : `\`${spec.env}\``,
        defaultText(spec),
        spec.doc,
      ]);
    if (rows.length === 0) continue;
    parts.push(`${group.title}:`, '', table(['option', 'env', 'default', 'meaning'], rows), '');
  }
  return parts.join('\n').trimEnd();
}

/** createPresenceServer's numeric options: name, default, range, meaning. */
export function renderLibraryTable(): string {
  const rows = optionEntries()
    .filter(([, spec]) => spec.type === 'integer' && spec.library === true)
    .map(([name, spec]) => {
      const integer = spec as Extract<OptionSpec, { type: 'integer' }>;
      const unit = integer.unit === undefined ? '' : ` ${integer.unit}`;
      return [
        `\`${name}\``,
        defaultText(spec),
        `${integer.min} to ${integer.max}${unit}`,
        spec.doc,
      ];
    });
  return table(['option', 'default', 'range', 'meaning'], rows);
}

const END = '<!-- /options -->';

/** `text` with each marked block replaced by what the schema makes. */
export function withGeneratedTables(text: string): string {
  const blocks: Record<string, () => string> = {
    '<!-- options:cli -->': renderCliTables,
    '<!-- options:library -->': renderLibraryTable,
  };
  let result = text;
  for (const [start, render] of Object.entries(blocks)) {
    const from = result.indexOf(start);
    const to = result.indexOf(END, from);
    if (from < 0 || to < 0) throw new Error(`docs/usage.md: no ${start} … ${END} block`);
    result = `${result.slice(0, from + start.length)}\n\n${render()}\n\n${result.slice(to)}`;
  }
  return result;
}

// `npm run docs:options`: rewrites the tables of docs/usage.md.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = fileURLToPath(new URL('../../docs/usage.md', import.meta.url));
  writeFileSync(path, withGeneratedTables(readFileSync(path, 'utf8')));
}
