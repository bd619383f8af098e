/**
 * The node bus's envelope around a frame (docs/cluster-wire-format.md, "Transport framing"):
 *
 *   byte 0        envelope version, 2
 *   byte 1        channel kind: 0 tracker, 1 delivery, 2 graph
 *   byte 2        S, the sender's node name length in bytes (1..255)
 *   S bytes       the sender's node name, UTF-8
 *   1 byte        T, the target's node name length (0: a broadcast)
 *   T bytes       the target's node name, UTF-8
 *   8 bytes       the sender bus's incarnation, unsigned big-endian
 *   8 bytes       the sender bus's sequence number, unsigned big-endian
 *   8 bytes       the send time, milliseconds since the Unix epoch, unsigned big-endian
 *   1 byte        M, the MAC length: 0 (no cluster secret) or 32 (HMAC-SHA256)
 *   M bytes       the MAC
 *   the rest      the frame, unchanged (may be empty)
 *
 * The MAC is HMAC-SHA256 with the cluster secret over every byte before M, then the frame: it
 * binds the frame to its kind, sender, target, incarnation, sequence number and send time, which
 * the receiver's freshness check reads (frame-freshness.ts). Version 1 had no send time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BusChannelKind } from '../ports/node-bus.js';
import { MAX_REPLICA_ID_BYTES } from './replica-id.js';

export const ENVELOPE_VERSION = 2;
export const MAC_BYTES = 32;
const KIND_CODES: Readonly<Record<BusChannelKind, number>> = { tracker: 0, delivery: 1, graph: 2 };
const KINDS: readonly BusChannelKind[] = ['tracker', 'delivery', 'graph'];

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export interface EnvelopeFields {
  readonly kind: BusChannelKind;
  readonly sender: string;
  /** The target's node name; undefined for a broadcast. */
  readonly target: string | undefined;
  readonly incarnation: bigint;
  readonly seq: bigint;
  /** The sender's clock when it sent the frame, in ms since the epoch (an integer ≥ 0). */
  readonly sentAtMs: number;
}

/** Encodes an envelope, signed with `secret` when one is given. */
export function encodeEnvelope(
  fields: EnvelopeFields,
  frame: Uint8Array,
  secret: Uint8Array | undefined,
): Buffer {
  const sender = Buffer.from(fields.sender, 'utf8');
  const target = Buffer.from(fields.target ?? '', 'utf8');
  if (sender.byteLength === 0 || sender.byteLength > MAX_REPLICA_ID_BYTES) {
    throw new RangeError('encodeEnvelope: sender must be 1..255 UTF-8 bytes');
  }
  if (
    target.byteLength > MAX_REPLICA_ID_BYTES ||
    (fields.target !== undefined && target.byteLength === 0)
  ) {
    throw new RangeError('encodeEnvelope: target must be 1..255 UTF-8 bytes');
  }
  if (!Number.isSafeInteger(fields.sentAtMs) || fields.sentAtMs < 0) {
    throw new RangeError('encodeEnvelope: sentAtMs must be a non-negative integer');
  }
  const signedLength = 3 + sender.byteLength + 1 + target.byteLength + 24;
  const macLength = secret ? MAC_BYTES : 0;
  const bytes = Buffer.allocUnsafe(signedLength + 1 + macLength + frame.byteLength);
  let at = 0;
  bytes[at++] = ENVELOPE_VERSION;
  bytes[at++] = KIND_CODES[fields.kind];
  bytes[at++] = sender.byteLength;
  at += sender.copy(bytes, at);
  bytes[at++] = target.byteLength;
  at += target.copy(bytes, at);
  bytes.writeBigUInt64BE(fields.incarnation, at);
  bytes.writeBigUInt64BE(fields.seq, at + 8);
  bytes.writeBigUInt64BE(BigInt(fields.sentAtMs), at + 16);
  at += 24;
  bytes[at++] = macLength;
  if (secret) {
    const mac = macOf(secret, bytes.subarray(0, signedLength), frame);
    at += mac.copy(bytes, at);
  }
  bytes.set(frame, at);
  return bytes;
}

export interface DecodedEnvelope extends EnvelopeFields {
  /** The bytes the MAC covers before the frame (a view into the input). */
  readonly signed: Uint8Array;
  /** The MAC as sent (empty without a secret). */
  readonly mac: Uint8Array;
  /** The frame: a view into the input, not a copy. */
  readonly frame: Uint8Array;
}

export type EnvelopeResult =
  | ({ readonly ok: true } & DecodedEnvelope)
  | { readonly ok: false; readonly reason: string };

/** Splits an envelope without checking its MAC. Never throws. */
export function decodeEnvelope(input: Uint8Array): EnvelopeResult {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.byteLength < 3) return { ok: false, reason: 'too-short' };
  if (bytes[0] !== ENVELOPE_VERSION) return { ok: false, reason: 'unknown-version' };
  const kind = KINDS[bytes[1] as number];
  if (kind === undefined) return { ok: false, reason: 'unknown-kind' };
  const senderLength = bytes[2] as number;
  if (senderLength === 0) return { ok: false, reason: 'empty-sender' };
  let at = 3;
  const sender = readName(bytes, at, senderLength);
  if (sender === undefined) return { ok: false, reason: 'bad-sender' };
  at += senderLength;
  const targetLength = bytes[at];
  if (targetLength === undefined) return { ok: false, reason: 'too-short' };
  at += 1;
  const target = targetLength === 0 ? undefined : readName(bytes, at, targetLength);
  if (targetLength > 0 && target === undefined) return { ok: false, reason: 'bad-target' };
  at += targetLength;
  if (bytes.byteLength < at + 25) return { ok: false, reason: 'too-short' };
  const incarnation = bytes.readBigUInt64BE(at);
  const seq = bytes.readBigUInt64BE(at + 8);
  const sentAt = bytes.readBigUInt64BE(at + 16);
  if (sentAt > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'bad-send-time' };
  const sentAtMs = Number(sentAt);
  at += 24;
  const signed = bytes.subarray(0, at);
  const macLength = bytes[at] as number;
  at += 1;
  if (macLength !== 0 && macLength !== MAC_BYTES) return { ok: false, reason: 'bad-mac-length' };
  if (bytes.byteLength < at + macLength) return { ok: false, reason: 'too-short' };
  const mac = bytes.subarray(at, at + macLength);
  const frame = bytes.subarray(at + macLength);
  return { ok: true, kind, sender, target, incarnation, seq, sentAtMs, signed, mac, frame };
}

/** Whether the envelope's MAC is valid under one of `secrets` (constant time per comparison). */
export function hasValidMac(envelope: DecodedEnvelope, secrets: readonly Uint8Array[]): boolean {
  if (envelope.mac.byteLength !== MAC_BYTES) return false;
  let valid = false;
  for (const secret of secrets) {
    // Every secret is tried, so the time taken does not say which one matched.
    if (timingSafeEqual(macOf(secret, envelope.signed, envelope.frame), envelope.mac)) valid = true;
  }
  return valid;
}

function macOf(secret: Uint8Array, signed: Uint8Array, frame: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(signed).update(frame).digest();
}

function readName(bytes: Buffer, at: number, length: number): string | undefined {
  if (bytes.byteLength < at + length) return undefined;
  try {
    return utf8Decoder.decode(bytes.subarray(at, at + length));
  } catch {
    return undefined;
  }
}
