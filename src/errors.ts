/**
 * Error identities for the whole service.
 *
 * Every error a user can meet carries a stable `code` (tests and callers branch on it, never on
 * the message) and a message that says where it came from and what to change. A few classes by
 * category, not one class per code.
 */

export type PresenceErrorCode =
  | 'PRESENCE_INVALID_OPTION'
  | 'PRESENCE_INVALID_INPUT'
  | 'PRESENCE_USAGE'
  | 'PRESENCE_TRANSPORT_CLOSED'
  | 'PRESENCE_TRANSPORT_UNAVAILABLE'
  | 'PRESENCE_DECODE'
  | 'PRESENCE_GRAPH_UNAVAILABLE'
  | 'PRESENCE_GRAPH_TIMEOUT'
  | 'PRESENCE_GRAPH_INVALID_DATA'
  | 'PRESENCE_GRAPH_CLOSED'
  | 'PRESENCE_LAST_SEEN_UNAVAILABLE'
  | 'PRESENCE_LAST_SEEN_TIMEOUT'
  | 'PRESENCE_LAST_SEEN_CLOSED'
  | 'PRESENCE_UNAUTHORIZED'
  | 'PRESENCE_RATE_LIMITED';

export class PresenceError extends Error {
  readonly code: PresenceErrorCode;

  constructor(code: PresenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A configuration value is missing, malformed or contradicts another one. */
export class InvalidOptionError extends PresenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRESENCE_INVALID_OPTION', message, options);
  }
}

/** Input from a client or a caller does not have the required shape. */
export class InvalidInputError extends PresenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRESENCE_INVALID_INPUT', message, options);
  }
}

/** The replication transport failed or was used after close(). */
export class TransportError extends PresenceError {}

/** A friends-graph provider failed: unavailable, timed out or returned invalid data. */
export class GraphProviderError extends PresenceError {}

/**
 * A last-seen store failed: unreachable (`_UNAVAILABLE`, also a missing migration), too slow
 * (`_TIMEOUT`) or used after close (`_CLOSED`). Callers treat the last seen as unknown.
 */
export class LastSeenStoreError extends PresenceError {}
