/**
 * The replication codec: replication messages ⇄ frames (MessagePack, format version 1).
 *
 * `encodeMessage` throws a `TypeError` on a message that cannot be represented (a bug in the
 * sender); `decodeMessage` never throws: a frame that does not decode, has an unknown version or
 * an unknown type is reported as a failure, to be dropped with a log line (`decodeFailureLog`).
 * Layout: docs/cluster-wire-format.md, "Replication messages (format version 1)"; bytes frozen by the golden
 * fixtures in `test/protocol/fixtures/`.
 */
import type { DecodeResult } from './decode.js';

export { type DecodeFailureReason, type DecodeResult, decodeMessage } from './decode.js';
export { encodeMessage } from './encode.js';
export { MAX_META_DEPTH, metaProblem } from './wire-layout.js';

/** Fields for a warning about a dropped frame (pino-style: `logger.warn(fields, msg)`). */
export function decodeFailureLog(
  failure: Extract<DecodeResult, { ok: false }>,
  frame: Uint8Array,
): { reason: string; detail: string; bytes: number; head: string } {
  let head = '';
  for (let i = 0; i < frame.length && i < 16; i++) head += frame[i]!.toString(16).padStart(2, '0');
  return { reason: failure.reason, detail: failure.detail, bytes: frame.length, head };
}
