/**
 * The error every adapter throws when a transport is used after close(): programmer misuse.
 */

import { TransportError } from '../errors.js';

export function transportClosedError(selfId: string, operation: string): TransportError {
  return new TransportError(
    'PRESENCE_TRANSPORT_CLOSED',
    `replication transport "${selfId}": ${operation}() called after close(); stop sending before closing.`,
  );
}
