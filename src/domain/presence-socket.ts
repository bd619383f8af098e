/**
 * A server-side socket of namespace `/presence`, typed by the client protocol: the gateway
 * serves it, delivery emits to it.
 */
import type { Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from './client-protocol.js';

export type PresenceSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
