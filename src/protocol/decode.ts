/**
 * Decoding frames into replication messages (layout: `wire-layout.ts`, docs/cluster-wire-format.md).
 *
 * Never throws, whatever the bytes: a frame is either a fully valid message or a failure with a
 * reason. Nothing is ignored silently: extra or missing elements, wrong types, duplicate clock
 * replicas, non-string map keys, inconsistent counts all reject the whole frame. Decoded values
 * are fresh plain data (objects with `Object.prototype`, arrays, Maps for clocks); a `__proto__`
 * meta key becomes an own data property, never a prototype.
 */
import type { DeltaWindow, EntryData, TransferPart } from '../core/index.js';
import { replicaKey } from '../core/index.js';
import {
  array,
  type DecodeFailureReason,
  meta,
  prefixed,
  Reject,
  ref,
  reject,
  str,
  uint,
  within,
} from './decode-values.js';
import type { ReplicationMessage } from './messages.js';
import { PROTOCOL_VERSION } from './messages.js';
import {
  CLOCK_ARITY,
  describe,
  ENTRY_ARITY,
  FRAME_LENGTH,
  HELD_LENGTH,
  isUint,
  PART_KIND,
  packr,
  SNAPSHOT_LENGTH,
  TYPE_CODE,
  WINDOW_LENGTH,
} from './wire-layout.js';

export type { DecodeFailureReason };

export type DecodeResult =
  | { ok: true; message: ReplicationMessage }
  | { ok: false; reason: DecodeFailureReason; detail: string };

const MAX_DETAIL = 200;

export function decodeMessage(frame: Uint8Array): DecodeResult {
  try {
    if (!(frame instanceof Uint8Array)) {
      return failure('malformed', `frame is ${describe(frame)}, not bytes`);
    }
    let root: unknown;
    try {
      root = packr.unpack(frame);
    } catch (error) {
      const version = peekVersion(frame);
      if (version !== undefined && version !== PROTOCOL_VERSION) {
        return failure(
          'unknown-version',
          `version ${version} (this node speaks ${PROTOCOL_VERSION})`,
        );
      }
      return failure('malformed', `not MessagePack: ${errorText(error)}`);
    }
    return { ok: true, message: readFrame(root) };
  } catch (error) {
    if (error instanceof Reject) return failure(error.reason, error.text.replace(/^\./, ''));
    return failure('malformed', errorText(error));
  }
}

function readFrame(root: unknown): ReplicationMessage {
  if (!Array.isArray(root) || root.length < 2) {
    reject('frame', `expected an array [version, type, …], got ${describe(root)}`);
  }
  const version: unknown = root[0];
  if (!isUint(version)) reject('version', `expected an integer, got ${describe(version)}`);
  if (version !== PROTOCOL_VERSION) {
    throw new Reject(
      'unknown-version',
      `version ${version} (this node speaks ${PROTOCOL_VERSION})`,
    );
  }
  const code: unknown = root[1];
  const type = typeForCode(code);
  if (!type) {
    if (!isUint(code)) reject('type', `expected an integer type code, got ${describe(code)}`);
    throw new Reject('unknown-type', `type code ${code}`);
  }
  const expected = FRAME_LENGTH[type];
  if (root.length !== expected) {
    reject(type, `expected ${expected} elements, got ${root.length}`);
  }
  const from = ref(root[2], root[3], 'from');
  switch (type) {
    case 'heartbeat':
      return {
        type,
        from,
        clock: clock(root[4], 'clock'),
        delta: root[5] === null ? undefined : window(root[5], 'delta'),
      };
    case 'transfer-request':
      return { type, from, requestId: str(root[4], 'requestId'), clock: clock(root[5], 'clock') };
    case 'transfer-part': {
      const requestId = str(root[4], 'requestId');
      const index = uint(root[5], 'index');
      const total = uint(root[6], 'total');
      const part = transferPart(root[7], root[8]);
      const consistent =
        total === 0 ? index === 0 && part === undefined : index < total && part !== undefined;
      if (!consistent) {
        reject(
          'part',
          `inconsistent numbering: index ${index}, total ${total}, part ${typeof part}`,
        );
      }
      return { type, from, requestId, index, total, part };
    }
    case 'transfer-ack':
      return {
        type,
        from,
        requestId: str(root[4], 'requestId'),
        received: uint(root[5], 'received'),
      };
    case 'leave':
      return { type, from };
  }
}

function typeForCode(code: unknown): keyof typeof TYPE_CODE | undefined {
  for (const type of Object.keys(TYPE_CODE) as (keyof typeof TYPE_CODE)[]) {
    if (TYPE_CODE[type] === code) return type;
  }
  return undefined;
}

function transferPart(kind: unknown, body: unknown): TransferPart | undefined {
  switch (kind) {
    case PART_KIND.none:
      if (body !== null) reject('part', `kind none carries ${describe(body)}, expected nil`);
      return undefined;
    case PART_KIND.window:
      return { kind: 'window', window: window(body, 'part.window') };
    case PART_KIND.snapshot: {
      const s = array(body, 'part.snapshot', SNAPSHOT_LENGTH);
      return { kind: 'snapshot', ...chunkHeader(s), entries: entries(s[6], 'part.entries') };
    }
    case PART_KIND.held: {
      const h = array(body, 'part.held', HELD_LENGTH);
      return {
        kind: 'held',
        ...chunkHeader(h),
        graceLeftMs: uint(h[6], 'part.graceLeftMs'),
        entries: entries(h[7], 'part.entries'),
      };
    }
    default:
      return reject('partKind', `unknown part kind ${describe(kind)}`);
  }
}

/** The fields a snapshot chunk and a held chunk share (their first six), checked. */
function chunkHeader(fields: readonly unknown[]) {
  const chunk = uint(fields[4], 'part.chunk');
  const chunkCount = uint(fields[5], 'part.chunkCount');
  if (chunk >= chunkCount) reject('part.chunk', `${chunk} is not below chunkCount ${chunkCount}`);
  return {
    transferId: str(fields[0], 'part.transferId'),
    replica: ref(fields[1], fields[2], 'part.replica'),
    upTo: uint(fields[3], 'part.upTo'),
    chunk,
    chunkCount,
  };
}

function window(value: unknown, path: string): DeltaWindow {
  const w = array(value, path, WINDOW_LENGTH);
  const removes = array(w[5], `${path}.removes`);
  for (let i = 0; i < removes.length; i++) {
    if (!isUint(removes[i])) uint(removes[i], `${path}.removes[${i}]`);
  }
  return {
    replica: ref(w[0], w[1], `${path}.replica`),
    from: uint(w[2], `${path}.from`),
    to: uint(w[3], `${path}.to`),
    adds: entries(w[4], `${path}.adds`),
    removes: removes as number[],
  };
}

function entries(value: unknown, path: string): EntryData[] {
  const flat = array(value, path);
  if (flat.length % ENTRY_ARITY !== 0) {
    reject(path, `${flat.length} values is not a multiple of ${ENTRY_ARITY}`);
  }
  const out: EntryData[] = new Array(flat.length / ENTRY_ARITY);
  let i = 0;
  try {
    for (let at = 0; at < flat.length; i++, at += ENTRY_ARITY) {
      out[i] = {
        topic: str(flat[at + 2], 'topic'),
        key: str(flat[at + 3], 'key'),
        meta: meta(flat[at + 4]),
        counter: uint(flat[at], 'counter'),
        prev: uint(flat[at + 1], 'prev'),
      };
    }
  } catch (error) {
    return prefixed(error, `.${path}[${i}]`);
  }
  return out;
}

function clock(value: unknown, path: string): Map<string, number> {
  const flat = array(value, path);
  if (flat.length % CLOCK_ARITY !== 0) {
    reject(path, `${flat.length} values is not a multiple of ${CLOCK_ARITY}`);
  }
  const out = new Map<string, number>();
  for (let at = 0; at < flat.length; at += CLOCK_ARITY) {
    const key = within(`.${path}[${at / CLOCK_ARITY}]`, () =>
      replicaKey(ref(flat[at], flat[at + 1], 'replica')),
    );
    if (out.has(key)) reject(path, `replica ${key} appears twice`);
    const counter = flat[at + 2];
    if (!isUint(counter)) uint(counter, `${path}[${key}]`);
    out.set(key, counter as number);
  }
  return out;
}

function failure(reason: DecodeFailureReason, detail: string): DecodeResult {
  return { ok: false, reason, detail: truncate(detail) };
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'unprintable error';
  }
}

/**
 * The version a frame claims when it is not decodable as a whole: a future version may use
 * encodings this decoder does not know, and it should still be reported as a version mismatch.
 * Reads an array header and a following unsigned integer, nothing more.
 */
function peekVersion(frame: Uint8Array): number | undefined {
  const first = frame[0];
  if (first === undefined) return undefined;
  let at: number;
  if (first >= 0x90 && first <= 0x9f) at = 1;
  else if (first === 0xdc) at = 3;
  else if (first === 0xdd) at = 5;
  else return undefined;
  const token = frame[at];
  if (token === undefined) return undefined;
  if (token < 0x80) return token;
  if (token === 0xcc) return frame[at + 1];
  if (token === 0xcd && frame.length >= at + 3) return (frame[at + 1]! << 8) | frame[at + 2]!;
  return undefined;
}
