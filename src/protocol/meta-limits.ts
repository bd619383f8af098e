/**
 * The largest meta a replication frame may carry: the gateway's limits on a connection's meta
 * (src/domain/limits.ts), plus room for the one field the server adds to what it tracks
 * (`invisible: true`). A frame with a larger meta is malformed: no honest node sends one.
 */
import { MAX_META_BYTES, MAX_META_KEYS, metaSizeProblem } from '../domain/limits.js';

/** `,"invisible":true` is 17 bytes; a little slack costs nothing. */
const SERVER_FIELDS_BYTES = 32;

export const MAX_WIRE_META_KEYS = MAX_META_KEYS + 1;
export const MAX_WIRE_META_BYTES = MAX_META_BYTES + SERVER_FIELDS_BYTES;

/** Why a (JSON-valid) meta is too large to replicate, or undefined. */
export function wireMetaSizeProblem(meta: object): string | undefined {
  return metaSizeProblem(meta, MAX_WIRE_META_KEYS, MAX_WIRE_META_BYTES);
}
