/** Shared output for benchmarks: an aligned table on stdout and the results folder. */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function printTable(title: string, rows: readonly (readonly string[])[]): void {
  const header = ['measure', 'result', 'target'];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const out = [
    `\n${title}`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Absolute path of a file in load/results/ (created if missing). */
export function resultsPath(file: string): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return `${dir}${file}`;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
