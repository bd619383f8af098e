/**
 * Which server event feeds which part of the client: each payload is checked first, and one of
 * the wrong shape is reported (`bad_payload`) and dropped, never half-applied.
 *
 * Why apart from `presence-client.ts`: the client's public surface only composes the parts; the
 * wiring of the socket's presence events into them is one job, kept in one place.
 */
import type { Socket } from 'socket.io-client';
import type { LastSeenMap, PhoenixMeta, PresenceMap } from '../domain/client-protocol.js';
import { PresenceClientError } from './client-error.js';
import { isLastSeenMap } from './last-seen-book.js';
import { isPresenceDiff, isPresenceState } from './payload-guards.js';
import type { PartialDiff } from './presence-sync.js';

/** Where the server's checked events go. */
export interface ServerEventSinks {
  state(state: PresenceMap<PhoenixMeta>): void;
  diff(diff: PartialDiff<PhoenixMeta>): void;
  lastSeen(lastSeen: LastSeenMap): void;
  /** A `presence_message` with its ack callback (incoming-messages.ts checks it). */
  message(payload: unknown, ack: unknown): void;
  /** A `presence_error` the server sent. */
  error(error: PresenceClientError): void;
  /** `presence_drain`: the node asks to reconnect (elsewhere) within `withinMs`. */
  drain(withinMs: number): void;
  /** The server sent `event` with a payload of the wrong shape. */
  badPayload(event: string): void;
}

export function listenToServer(socket: Socket, sinks: ServerEventSinks): void {
  socket.on('presence_state', (payload: unknown) => {
    if (isPresenceState(payload)) sinks.state(payload);
    else sinks.badPayload('presence_state');
  });
  socket.on('presence_diff', (payload: unknown) => {
    if (isPresenceDiff(payload)) sinks.diff(payload);
    else sinks.badPayload('presence_diff');
  });
  socket.on('presence_error', (payload: unknown) => {
    const { code, message } = (payload ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code !== 'string') return sinks.badPayload('presence_error');
    sinks.error(new PresenceClientError(code, typeof message === 'string' ? message : code));
  });
  socket.on('presence_last_seen', (payload: unknown) => {
    if (isLastSeenMap(payload)) sinks.lastSeen(payload);
    else sinks.badPayload('presence_last_seen');
  });
  socket.on('presence_drain', (payload: unknown) => {
    const withinMs = (payload ?? {}) as { withinMs?: unknown };
    const within = withinMs.withinMs;
    if (typeof within !== 'number' || !Number.isFinite(within) || within < 0) {
      return sinks.badPayload('presence_drain');
    }
    sinks.drain(within);
  });
  socket.on('presence_message', (payload: unknown, ack: unknown) => sinks.message(payload, ack));
}
