/**
 * The CSV graph format (graph-adapters/README.md): one `a,b` pair per line, an undirected friendship.
 * Blank lines are skipped; fields are trimmed unless double-quoted (RFC 4180 quoting, so ids
 * may hold commas and keep edge spaces); `""` inside quotes is a literal quote.
 */
import { GraphProviderError } from '../../src/errors.js';

export function parseCsvEdgeLine(
  line: string,
  lineNumber: number,
  origin: string,
): [string, string] | null {
  if (line.trim() === '') return null;
  const fields = splitCsvLine(line, lineNumber, origin);
  const [source, target] = fields;
  if (fields.length !== 2 || !source || !target) {
    throw invalidLine(origin, lineNumber, 'expected exactly two non-empty ids: "a,b"');
  }
  return [source, target];
}

function splitCsvLine(line: string, lineNumber: number, origin: string): string[] {
  const fields: string[] = [];
  let index = 0;
  while (index <= line.length) {
    while (line[index] === ' ' || line[index] === '\t') index++;
    if (line[index] === '"') {
      let value = '';
      index++;
      for (;;) {
        const quote = line.indexOf('"', index);
        if (quote === -1) throw invalidLine(origin, lineNumber, 'unterminated quoted field');
        value += line.slice(index, quote);
        index = quote + 1;
        if (line[index] !== '"') break;
        value += '"';
        index++;
      }
      while (line[index] === ' ' || line[index] === '\t') index++;
      if (index < line.length && line[index] !== ',') {
        throw invalidLine(origin, lineNumber, 'text after a closing quote');
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(',', index);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(index, end).trim());
      index = end;
    }
    index++; // past the comma (or past the end, which ends the loop)
  }
  return fields;
}

function invalidLine(origin: string, lineNumber: number, reason: string): GraphProviderError {
  return new GraphProviderError(
    'PRESENCE_GRAPH_INVALID_DATA',
    `${origin}:${lineNumber}: ${reason}`,
  );
}
