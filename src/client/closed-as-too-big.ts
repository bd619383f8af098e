/**
 * Whether socket.io-client's `disconnect` details say the server refused a message over its size
 * limit: close code 1009 over WebSocket, HTTP 413 over long polling (the SDK reports
 * `frame_too_large`).
 */
import { MESSAGE_TOO_BIG_CLOSE_CODE } from '../domain/client-protocol.js';

export function closedAsTooBig(details: unknown): boolean {
  if (typeof details !== 'object' || details === null) return false;
  const { description, context } = details as { description?: unknown; context?: unknown };
  if (description === 413) return true;
  return (context as { code?: unknown } | null | undefined)?.code === MESSAGE_TOO_BIG_CLOSE_CODE;
}
