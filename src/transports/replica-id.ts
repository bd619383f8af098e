/**
 * The rule every transport applies to replica ids (node names), so an id valid on one adapter is
 * valid on all: non-empty and at most 255 bytes of UTF-8, the most the Redis envelope can carry.
 */

import { InvalidOptionError } from '../errors.js';

export const MAX_REPLICA_ID_BYTES = 255;

const utf8 = new TextEncoder();

/** @throws InvalidOptionError when `id` is empty or longer than 255 UTF-8 bytes. */
export function assertValidReplicaId(id: string, where: string): void {
  const length = utf8.encode(id).byteLength;
  if (length === 0 || length > MAX_REPLICA_ID_BYTES) {
    throw new InvalidOptionError(
      `${where}: replica id must be 1 to ${MAX_REPLICA_ID_BYTES} bytes of UTF-8 (got ${length}); pick a shorter node name.`,
    );
  }
}
