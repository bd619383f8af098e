/** The command's logger: pino JSON lines on stderr (synchronous, so nothing is lost at exit). */
import { pino } from 'pino';
import type { Logger } from '../ports/logger.js';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function createCliLogger(level: string | undefined): Logger {
  return pino(
    {
      name: 'graph-presence',
      level: level && LEVELS.has(level) ? level : 'info',
      base: { pid: process.pid },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/**
 * A logger that logs errors as `{ code, message }` without their stacks: for connection errors
 * that repeat during an outage, where a stack says nothing the operator can act on.
 */
export function withoutStacks(logger: Logger): Logger {
  const strip = (obj: object): object => {
    const { err } = obj as { err?: unknown };
    if (!(err instanceof Error)) return obj;
    const { code } = err as NodeJS.ErrnoException;
    const { err: _dropped, ...rest } = obj as { err?: unknown };
    return { ...rest, error: code === undefined ? err.message : `${code}: ${err.message}` };
  };
  return {
    debug: (obj, msg) => logger.debug(strip(obj), msg),
    info: (obj, msg) => logger.info(strip(obj), msg),
    warn: (obj, msg) => logger.warn(strip(obj), msg),
    error: (obj, msg) => logger.error(strip(obj), msg),
  };
}
