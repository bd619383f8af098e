/**
 * The node-to-node delivery frames (docs/cluster-wire-format.md, "Delivery frames"): byte 0 is the format
 * version (1), the rest one MessagePack array whose first element is the kind.
 *
 * - deliver `[0, id, origin, userId, event, payloadJson, flags, ackTimeoutMs]`: emit the message
 *   to the user's sockets on this node and answer `origin`. Flags: 1 = wait for every socket
 *   (`ack: 'all'`), 2 = quiet (do not answer when the user has no socket here).
 * - answer `[1, id, node, sockets, acked]`: `node` emitted to `sockets` sockets, `acked` acked.
 *
 * `decodeDeliveryFrame` never throws: anything else is reported as a string saying why.
 */
// The replication codec's plain MessagePack: no records, no extensions, 64-bit integers as numbers.
import { packr } from '../protocol/wire-layout.js';

export const DELIVERY_FORMAT_VERSION = 1;
export const FLAG_ALL = 1;
export const FLAG_QUIET = 2;

export interface DeliverFrame {
  readonly kind: 'deliver';
  readonly id: string;
  readonly origin: string;
  readonly userId: string;
  readonly event: string;
  readonly payloadJson: string;
  readonly flags: number;
  readonly ackTimeoutMs: number;
}

export interface AnswerFrame {
  readonly kind: 'answer';
  readonly id: string;
  readonly node: string;
  readonly sockets: number;
  readonly acked: number;
}

export type DeliveryFrame = DeliverFrame | AnswerFrame;

const KIND_DELIVER = 0;
const KIND_ANSWER = 1;

export function encodeDeliveryFrame(frame: DeliveryFrame): Uint8Array {
  const body =
    frame.kind === 'deliver'
      ? [
          KIND_DELIVER,
          frame.id,
          frame.origin,
          frame.userId,
          frame.event,
          frame.payloadJson,
          frame.flags,
          frame.ackTimeoutMs,
        ]
      : [KIND_ANSWER, frame.id, frame.node, frame.sockets, frame.acked];
  const packed = packr.pack(body);
  const out = new Uint8Array(packed.byteLength + 1);
  out[0] = DELIVERY_FORMAT_VERSION;
  out.set(packed, 1);
  return out;
}

export function decodeDeliveryFrame(frame: Uint8Array): DeliveryFrame | string {
  if (frame.byteLength < 2) return 'frame too short';
  if (frame[0] !== DELIVERY_FORMAT_VERSION) return `unknown format version ${frame[0]}`;
  let body: unknown;
  try {
    body = packr.unpack(frame.subarray(1));
  } catch {
    return 'not MessagePack';
  }
  if (!Array.isArray(body)) return 'not an array';
  const [kind, id] = body;
  if (!isText(id)) return 'id must be a non-empty string';
  if (kind === KIND_DELIVER) {
    const [, , origin, userId, event, payloadJson, flags, ackTimeoutMs] = body;
    if (body.length !== 8) return 'deliver frame must have 8 elements';
    if (!isText(origin) || !isText(userId) || !isText(event) || typeof payloadJson !== 'string') {
      return 'deliver frame: origin, userId, event and payload must be strings';
    }
    if (!isCount(flags) || !isCount(ackTimeoutMs)) {
      return 'deliver frame: flags and ackTimeoutMs must be non-negative integers';
    }
    return { kind: 'deliver', id, origin, userId, event, payloadJson, flags, ackTimeoutMs };
  }
  if (kind === KIND_ANSWER) {
    const [, , node, sockets, acked] = body;
    if (body.length !== 5) return 'answer frame must have 5 elements';
    if (!isText(node) || !isCount(sockets) || !isCount(acked) || acked > sockets) {
      return 'answer frame: node must be a string, 0 ≤ acked ≤ sockets integers';
    }
    return { kind: 'answer', id, node, sockets, acked };
  }
  return `unknown kind ${String(kind)}`;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
