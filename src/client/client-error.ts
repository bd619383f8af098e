/**
 * The one error type the client reports, with a machine-readable `code`.
 */
import type { ClientErrorCode } from '../domain/client-protocol.js';

/**
 * Codes set by the client itself. Errors from the server's `presence:update` ack carry the
 * server's code unchanged (for example a validation or rate-limit code).
 * - `unauthorized`: the server refused the connection (missing, bad or expired token).
 * - `connect_failed`: the connection could not be made for another reason (the client retries
 *   on its own unless the server refused it).
 * - `timeout`: no ack within the timeout (the update may or may not have been applied).
 * - `disconnected`: the connection was lost, or `disconnect()` called, before the ack.
 * - `bad_payload`: the server sent a `presence_state` or `presence_diff` the client could not
 *   read; it was ignored.
 * - `reapply_failed`: after a reconnect, re-sending the earlier updates failed.
 * - `listener_error`: one of your listeners threw; the view stays consistent.
 * - `rejoin_failed`: after a reconnect, joining a count-only room again failed.
 * - `overloaded`: the server is admitting as many connections as it can; the client tries again
 *   on its own after the server's hint, backing off (pending updates keep waiting meanwhile).
 * - `too_many_handshakes`: this address connected too often lately; retried like `overloaded`.
 * - `draining`: the node is stopping; retried like `overloaded` (the balancer routes the retry to
 *   another node).
 * - `idle_update_failed`: setting `away` after idleness (or the status back) failed.
 * - `frame_too_large`: the server closed the connection because a message was over its size
 *   limit (WebSocket close code 1009, or HTTP 413 with long polling).
 *
 * A `presence_error` from the server is reported with the server's code (`graph_unavailable`,
 * `token_expired`, `too_many_packets`, ...).
 */
export type PresenceClientErrorCode =
  | 'unauthorized'
  | 'connect_failed'
  | 'timeout'
  | 'disconnected'
  | 'bad_payload'
  | 'reapply_failed'
  | 'listener_error'
  | 'rejoin_failed'
  | 'overloaded'
  | 'too_many_handshakes'
  | 'draining'
  | 'frame_too_large'
  | 'idle_update_failed';

/** An error from the presence client: `code` says what happened. */
export class PresenceClientError extends Error {
  override readonly name = 'PresenceClientError';
  /** A {@link PresenceClientErrorCode}, or a server's code from an ack or a `presence_error`. */
  readonly code: PresenceClientErrorCode | ClientErrorCode | (string & {});

  constructor(
    code: PresenceClientErrorCode | ClientErrorCode | (string & {}),
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
  }
}
