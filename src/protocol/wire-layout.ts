/**
 * The replication wire layout (format version 1), shared by the encoder and the decoder.
 * docs/cluster-wire-format.md ("Replication messages") is the normative description; keep them in step, and
 * remember the golden fixtures in `test/protocol/fixtures/` freeze the bytes.
 *
 * Every frame is one MessagePack array: `[version, typeCode, fromName, fromVsn, ...body]`.
 */

import { Packr } from 'msgpackr';
import { wireMetaSizeProblem } from './meta-limits.js';

/** Type codes: the second element of every frame. Never reuse a retired code. */
export const TYPE_CODE = {
  heartbeat: 1,
  'transfer-request': 2,
  'transfer-part': 3,
  leave: 4,
  'transfer-ack': 5,
} as const;

/** The `partKind` field of a transfer-part. */
export const PART_KIND = { none: 0, window: 1, snapshot: 2, held: 3 } as const;

/** Elements of each frame, header (version, type, from name, from vsn) included. */
export const FRAME_LENGTH = {
  heartbeat: 6,
  'transfer-request': 6,
  'transfer-part': 9,
  leave: 4,
  'transfer-ack': 6,
} as const;

/** A window: `[replicaName, replicaVsn, from, to, addsFlat, removes]`. */
export const WINDOW_LENGTH = 6;
/** A snapshot chunk: `[transferId, replicaName, replicaVsn, upTo, chunk, chunkCount, entriesFlat]`. */
export const SNAPSHOT_LENGTH = 7;
/**
 * A held part (a down replica's entries in its crash grace):
 * `[transferId, replicaName, replicaVsn, upTo, chunk, chunkCount, graceLeftMs, entriesFlat]`.
 */
export const HELD_LENGTH = 8;
/** Values per entry in a flat entry list: `counter, prev, topic, key, meta`. */
export const ENTRY_ARITY = 5;
/** Values per replica in a flat clock: `name, vsn, counter`. */
export const CLOCK_ARITY = 3;
/** Nesting allowed inside a meta (the meta object itself is depth 1). */
export const MAX_META_DEPTH = 32;

/**
 * The one MessagePack codec. Every option is deliberate (they change bytes, so changing one is a
 * format change that the golden fixtures will catch):
 * - `useRecords: false`: plain msgpack maps, no msgpackr record extension (no shared state
 *   between frames, readable by any msgpack library);
 * - `variableMapSize: true`: the smallest map header (fixmap for < 16 keys) instead of an
 *   always-16-bit one; also iterates own keys with `Object.keys`, never `for…in`;
 * - `mapsAsObjects: false`: maps decode as `Map`, which the decoder turns into plain objects
 *   itself. msgpackr's object mode silently renames a `__proto__` key to `__proto_` (safe but
 *   lossy) and accepts non-string keys; we keep `__proto__` as an own data property and reject
 *   non-string keys;
 * - `int64AsType: 'number'`: a 64-bit integer decodes as a number, never a BigInt (the decoder
 *   then rejects integers beyond 2^53 - 1 where integers are required);
 * - `useFloat32: 0`, `moreTypes: false`, `structuredClone: false`, no `bundleStrings`: doubles
 *   stay doubles, and nothing beyond plain msgpack types is written.
 */
export const packr = new Packr({
  useRecords: false,
  variableMapSize: true,
  mapsAsObjects: false,
  int64AsType: 'number',
  useFloat32: 0,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
});

/** A counter, index or count: an integer in [0, 2^53 - 1]. */
export function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A replica incarnation number: any finite number. */
export function isVsn(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Splits a `ReplicaKey` (`name#vsn`, vsn after the last '#') back into its ref; undefined when the
 * key is not exactly `replicaKey({name, vsn})` for a finite vsn.
 */
export function splitReplicaKey(key: string): { name: string; vsn: number } | undefined {
  const at = key.lastIndexOf('#');
  if (at < 0) return undefined;
  const text = key.slice(at + 1);
  const vsn = Number(text);
  if (text === '' || !Number.isFinite(vsn) || String(vsn) !== text) return undefined;
  return { name: key.slice(0, at), vsn };
}

/**
 * Why a value cannot be (part of) a meta on the wire, or undefined when it can. Metas are JSON:
 * a plain object whose values are strings, finite numbers, booleans, null, or nested plain
 * objects / arrays of the same, at most `MAX_META_DEPTH` deep, within the wire's size limits.
 * The runtime's one check on the metas it writes (src/runtime/replicable-meta.ts); the decoder
 * applies the same rules to remote metas as it builds them (decode-values.ts). The encoder does
 * not re-check: each meta is checked once, where it enters a replica.
 */
export function metaProblem(meta: unknown): string | undefined {
  if (!isPlainObject(meta)) return `meta: expected a plain object, got ${describe(meta)}`;
  const found = jsonProblem(meta, 1);
  if (found) return `meta${found.path}: ${found.problem}`;
  return wireMetaSizeProblem(meta);
}

/** Paths are built only on the way out of a failure, so checking a valid meta allocates nothing. */
function jsonProblem(value: unknown, depth: number): { path: string; problem: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? undefined
      : { path: '', problem: `${value} is not a JSON number` };
  }
  if (depth > MAX_META_DEPTH) return { path: '', problem: `nested deeper than ${MAX_META_DEPTH}` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = jsonProblem(value[i], depth + 1);
      if (found) return { path: `[${i}]${found.path}`, problem: found.problem };
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const found = jsonProblem(value[key], depth + 1);
      if (found) return { path: `.${key}${found.path}`, problem: found.problem };
    }
    return undefined;
  }
  return { path: '', problem: `${describe(value)} is not a JSON value` };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short description of a value for error details (never the value itself: it may be huge). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'number') return Number.isFinite(value) ? `number ${value}` : `${value}`;
  if (typeof value === 'string') return `a string of ${value.length}`;
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return typeof value;
}
