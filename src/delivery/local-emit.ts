/**
 * Emits a message to one node's sockets of a user, each with a socket.io ack, and reports once:
 * at the first ack (`all: false`) or when every socket acked, timed out or disconnected
 * (`all: true`). A socket that disconnects counts as failed at once rather than at its timeout,
 * so the origin retries elsewhere while the user reconnects. No socket: reported at once.
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
  const settle = (ok: boolean) => {
    settled++;
    if (ok) acked++;
    if (!reported && ((acked > 0 && !all) || settled === total)) {
      reported = true;
      done(total, acked);
    }
  };
  for (const socket of sockets) {
    let open = true;
    const once = (ok: boolean) => {
      if (!open) return;
      open = false;
      socket.off('disconnect', onDisconnect);
      settle(ok);
    };
    const onDisconnect = () => once(false);
    socket.once('disconnect', onDisconnect);
    socket.timeout(ackTimeoutMs).emit('presence_message', message, (error) => once(!error));
  }
}
