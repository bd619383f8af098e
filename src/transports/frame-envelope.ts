/**
 * The Redis transport's envelope around a replication frame: who sent it, then the frame.
 *
 *   byte 0          L, the sender id's length in bytes (1..255; 0 is reserved and invalid)
 *   bytes 1..L      the sender id, UTF-8
 *   bytes L+1..end  the frame, unchanged (may be empty)
 *
 * Redis echoes a broadcast to its own publisher; the sender id is what lets a transport drop its
 * own. Versioning lives in the frame (the codec's version field), not here.
 */

import { MAX_REPLICA_ID_BYTES } from './replica-id.js';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The encoded sender id, prepared once per transport since every frame repeats it. */
export function encodeEnvelopeHeader(senderId: string): Uint8Array {
  const id = utf8Encoder.encode(senderId);
  if (id.byteLength === 0 || id.byteLength > MAX_REPLICA_ID_BYTES) {
    throw new RangeError(`encodeEnvelopeHeader: sender id must be 1..255 UTF-8 bytes`);
  }
  const header = new Uint8Array(1 + id.byteLength);
  header[0] = id.byteLength;
  header.set(id, 1);
  return header;
}

export function encodeEnvelope(header: Uint8Array, frame: Uint8Array): Buffer {
  return Buffer.concat([header, frame]);
}

export type DecodedEnvelope =
  | { readonly ok: true; readonly senderId: string; readonly frame: Uint8Array }
  | { readonly ok: false; readonly reason: 'too-short' | 'reserved-length' | 'bad-sender-id' };

/** Splits an envelope; the frame is a view into `bytes`, not a copy. Never throws. */
export function decodeEnvelope(bytes: Uint8Array): DecodedEnvelope {
  const idLength = bytes[0];
  if (idLength === undefined) return { ok: false, reason: 'too-short' };
  if (idLength === 0) return { ok: false, reason: 'reserved-length' };
  if (bytes.byteLength < 1 + idLength) return { ok: false, reason: 'too-short' };
  let senderId: string;
  try {
    senderId = utf8Decoder.decode(bytes.subarray(1, 1 + idLength));
  } catch {
    return { ok: false, reason: 'bad-sender-id' };
  }
  return { ok: true, senderId, frame: bytes.subarray(1 + idLength) };
}
