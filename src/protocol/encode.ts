/**
 * Encoding replication messages into frames (layout: `wire-layout.ts`, docs/cluster-wire-format.md).
 *
 * The encoder checks the frame's structure as the decoder will: a message the decoder would
 * reject is a bug in the sender, and failing loudly here (a `TypeError` naming the field) beats
 * every receiver silently dropping the frame and the cluster never converging.
 *
 * Metas are the exception: each is checked once, where it enters a replica, and the encoder trusts
 * the state's metas. Own metas are checked by the runtime's track/update/move, which stores a
 * frozen copy (src/runtime/replicable-meta.ts); remote ones by the decoder, which builds them
 * (src/protocol/decode-values.ts). Walking and measuring every meta again (JSON.stringify for its
 * size) per broadcast, delta and transfer chunk cost more than the rest of the encoding.
 */
import type { Context, DeltaWindow, EntryData, TransferPart } from '../core/index.js';
import type { ReplicationMessage } from './messages.js';
import { PROTOCOL_VERSION } from './messages.js';
import {
  describe,
  isUint,
  isVsn,
  PART_KIND,
  packr,
  splitReplicaKey,
  TYPE_CODE,
} from './wire-layout.js';

/**
 * Encodes a message as one frame. Throws a `TypeError` when the message cannot be represented
 * (a negative or fractional counter, a non-finite vsn, a meta that is not an object, a clock key
 * that is not a `replicaKey`, inconsistent part numbering). A meta's content is not re-checked.
 */
export function encodeMessage(message: ReplicationMessage): Uint8Array {
  const type = message.type;
  const code = TYPE_CODE[type];
  if (code === undefined) fail('type', `unknown message type ${describe(type)}`);
  const frame: unknown[] = [
    PROTOCOL_VERSION,
    code,
    str(message.from.name, 'from.name'),
    vsn(message.from.vsn, 'from.vsn'),
  ];
  switch (message.type) {
    case 'heartbeat':
      frame.push(
        flatClock(message.clock, 'clock'),
        message.delta === undefined ? null : windowArray(message.delta, 'delta'),
      );
      break;
    case 'transfer-request':
      frame.push(str(message.requestId, 'requestId'), flatClock(message.clock, 'clock'));
      break;
    case 'transfer-part': {
      const { index, total, part } = message;
      uint(index, 'index');
      uint(total, 'total');
      if (total === 0 ? index !== 0 || part !== undefined : index >= total || part === undefined) {
        fail('part', `inconsistent numbering: index ${index}, total ${total}, part ${typeof part}`);
      }
      frame.push(str(message.requestId, 'requestId'), index, total, ...partFields(part));
      break;
    }
    case 'transfer-ack':
      frame.push(str(message.requestId, 'requestId'), uint(message.received, 'received'));
      break;
    case 'leave':
      break;
  }
  return packr.pack(frame);
}

/** The fields a snapshot chunk and a held chunk share, in wire order, checked. */
function chunkHeader(part: Extract<TransferPart, { kind: 'snapshot' | 'held' }>): unknown[] {
  uint(part.chunkCount, 'part.chunkCount');
  if (uint(part.chunk, 'part.chunk') >= part.chunkCount) {
    fail('part.chunk', `chunk ${part.chunk} is not below chunkCount ${part.chunkCount}`);
  }
  return [
    str(part.transferId, 'part.transferId'),
    str(part.replica.name, 'part.replica.name'),
    vsn(part.replica.vsn, 'part.replica.vsn'),
    uint(part.upTo, 'part.upTo'),
    part.chunk,
    part.chunkCount,
  ];
}

function partFields(part: TransferPart | undefined): [number, unknown] {
  if (part === undefined) return [PART_KIND.none, null];
  if (part.kind === 'window') return [PART_KIND.window, windowArray(part.window, 'part.window')];
  if (part.kind === 'snapshot') {
    return [PART_KIND.snapshot, [...chunkHeader(part), flatEntries(part.entries, 'part.entries')]];
  }
  if (part.kind === 'held') {
    return [
      PART_KIND.held,
      [
        ...chunkHeader(part),
        uint(part.graceLeftMs, 'part.graceLeftMs'),
        flatEntries(part.entries, 'part.entries'),
      ],
    ];
  }
  return fail('part.kind', `unknown part kind ${describe((part as { kind: unknown }).kind)}`);
}

function windowArray(window: DeltaWindow, path: string): unknown[] {
  const removes = window.removes;
  for (let i = 0; i < removes.length; i++) {
    if (!isUint(removes[i])) uint(removes[i], `${path}.removes[${i}]`);
  }
  return [
    str(window.replica.name, `${path}.replica.name`),
    vsn(window.replica.vsn, `${path}.replica.vsn`),
    uint(window.from, `${path}.from`),
    uint(window.to, `${path}.to`),
    flatEntries(window.adds, `${path}.adds`),
    removes,
  ];
}

/** `[counter, prev, topic, key, meta, counter, prev, …]`. */
function flatEntries(entries: readonly EntryData[], path: string): unknown[] {
  const flat: unknown[] = new Array(entries.length * 5);
  let at = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const { counter, prev, topic, key, meta } = entry;
    // Checked without building a path; the path is worked out only for a bad entry. These are
    // a few typeof tests per entry that keep the flat layout's slots right; the meta's content
    // was checked where it entered the replica (see the top of this file).
    if (
      !isUint(counter) ||
      !isUint(prev) ||
      typeof topic !== 'string' ||
      typeof key !== 'string' ||
      typeof meta !== 'object' ||
      meta === null
    ) {
      badEntry(entry, `${path}[${i}]`);
    }
    flat[at++] = counter;
    flat[at++] = prev;
    flat[at++] = topic;
    flat[at++] = key;
    flat[at++] = meta;
  }
  return flat;
}

function badEntry(entry: EntryData, path: string): never {
  uint(entry.counter, `${path}.counter`);
  uint(entry.prev, `${path}.prev`);
  str(entry.topic, `${path}.topic`);
  str(entry.key, `${path}.key`);
  const meta: unknown = entry.meta;
  if (typeof meta !== 'object' || meta === null) {
    fail(`${path}.meta`, `expected an object, got ${describe(meta)}`);
  }
  return fail(path, 'invalid entry');
}

/** `[name, vsn, counter, name, vsn, counter, …]`, in the context's iteration order. */
function flatClock(clock: Context, path: string): unknown[] {
  const flat: unknown[] = [];
  for (const [key, counter] of clock) {
    const ref = typeof key === 'string' ? splitReplicaKey(key) : undefined;
    if (!ref) fail(path, `key ${JSON.stringify(key)} is not a replica key (name#vsn)`);
    if (!isUint(counter)) uint(counter, `${path}[${key}]`);
    flat.push(ref.name, ref.vsn, counter);
  }
  return flat;
}

function uint(value: unknown, path: string): number {
  if (!isUint(value)) fail(path, `expected an integer in [0, 2^53 - 1], got ${describe(value)}`);
  return value;
}

function vsn(value: unknown, path: string): number {
  if (!isVsn(value)) fail(path, `expected a finite number, got ${describe(value)}`);
  return value;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
  return value;
}

function fail(path: string, problem: string): never {
  throw new TypeError(`cannot encode replication message: ${path}: ${problem}`);
}
