/**
 * Logger port: the four levels the service logs at, each with a context object first.
 *
 * The signature is pino's (`logger.warn({ err }, 'message')`), so a pino logger satisfies it as is.
 */

export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

function discard(): void {}

/** A logger that drops everything: the default for libraries and tests. */
export const silentLogger: Logger = Object.freeze({
  debug: discard,
  info: discard,
  warn: discard,
  error: discard,
});
