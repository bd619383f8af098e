/**
 * A mistake the operator can fix (a bad option, an unreachable service): the command prints
 * `graph-presence: <message>` as one line on stderr and exits with code 2, never a stack trace.
 */
export const USAGE_EXIT_CODE = 2;

export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The message as one line: newlines in a cause (a driver's multi-line error) are folded. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function errorMessage(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}
