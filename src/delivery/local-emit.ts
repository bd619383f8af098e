/**
 * Emits a message to one node's sockets of a user, each with a socket.io ack, and reports once:
 * at the first ack (`all: false`) or when every socket acked, timed out or disconnected
 * (`all: true`). A socket that disconnects counts as failed at once rather than at its timeout,
 * so the origin retries elsewhere while the user reconnects. No socket: reported at once.
 */
import type { PresenceMessage } from '../domain/client-protocol.js';
import type { PresenceSocket } from '../domain/presence-socket.js';

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
      forget();
      settle(ok);
    };
    const forget = whenDisconnected(socket, () => once(false));
    socket.timeout(ackTimeoutMs).emit('presence_message', message, (error) => once(!error));
  }
}

/** Waiters per socket: one 'disconnect' listener however many messages await an ack. */
const disconnectWaiters = new WeakMap<PresenceSocket, Set<() => void>>();

/** Calls `waiter` when `socket` disconnects; returns a function that cancels it. */
function whenDisconnected(socket: PresenceSocket, waiter: () => void): () => void {
  let waiters = disconnectWaiters.get(socket);
  if (!waiters) {
    const set = new Set<() => void>();
    waiters = set;
    disconnectWaiters.set(socket, set);
    socket.once('disconnect', () => {
      disconnectWaiters.delete(socket);
      for (const wake of [...set]) wake();
    });
  }
  const set = waiters;
  set.add(waiter);
  return () => set.delete(waiter);
}
