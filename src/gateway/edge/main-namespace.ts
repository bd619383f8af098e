/**
 * The main namespace `/`. socket.io serves it on every server, and it accepts any client: no
 * authentication runs there. A server that serves only `/presence` refuses it, so nobody holds an
 * unauthenticated socket (and the events it could send) on the node.
 */
import type { Server } from 'socket.io';
import { INVALID_NAMESPACE, PRESENCE_NAMESPACE } from '../../domain/client-protocol.js';

export function refuseMainNamespace(io: Server): void {
  io.of('/').use((_socket, next) => {
    const error = new Error(INVALID_NAMESPACE) as Error & { data?: unknown };
    error.data = { message: `this server serves only the ${PRESENCE_NAMESPACE} namespace` };
    next(error);
  });
}
