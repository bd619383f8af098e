/**
 * Emits a message to one node's sockets of a user, each with a socket.io ack, and reports once:
 * at the first ack (`all: false`) or when every socket acked or timed out (`all: true`). No
 * socket: reported at once, with zero sockets.
 */
import type { PresenceMessage } from '../gateway/client-protocol.js';
import type { PresenceSocket } from '../gateway/connection-session.js';

export type LocalOutcome = (sockets: number, acked: number) => void;

export function emitToSockets(
  sockets: readonly PresenceSocket[],
  message: PresenceMessage,
  all: boolean,
  ackTimeoutMs: number,
  done: LocalOutcome,
): void {
  const total = sockets.length;
  if (total === 0) {
    done(0, 0);
    return;
  }
  let settled = 0;
  let acked = 0;
  let reported = false;
  const onAck = (error: Error | null) => {
    if (reported) return;
    settled++;
    if (!error) acked++;
    if ((acked > 0 && !all) || settled === total) {
      reported = true;
      done(total, acked);
    }
  };
  for (const socket of sockets) {
    socket.timeout(ackTimeoutMs).emit('presence_message', message, onAck);
  }
}
