/**
 * Value readers for the decoder: each checks one wire value and returns it typed, or throws a
 * `Reject` naming where it is (paths are built only on the way out of a failure, so valid frames
 * never pay for them).
 */
import type { Meta, ReplicaRef } from '../core/index.js';
import { MAX_WIRE_META_KEYS, wireMetaSizeProblem } from './meta-limits.js';
import { describe, isUint, isVsn, MAX_META_DEPTH } from './wire-layout.js';

export type DecodeFailureReason = 'malformed' | 'unknown-version' | 'unknown-type';

/** Thrown inside the decoder only; always caught by `decodeMessage`. */
export class Reject {
  constructor(
    readonly reason: DecodeFailureReason,
    readonly detail: string,
    /** Where in the frame; built up on the way out, so valid frames never pay for paths. */
    readonly path = '',
  ) {}

  get text(): string {
    return this.path === '' ? this.detail : `${this.path}: ${this.detail}`;
  }
}

/** Runs `read`, prefixing the location of any rejection with `step` (`.field` or `[i]`). */
export function within<T>(step: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    return prefixed(error, step);
  }
}

export function prefixed(error: unknown, step: string): never {
  if (error instanceof Reject) throw new Reject(error.reason, error.detail, step + error.path);
  throw error;
}

export function meta(value: unknown): Meta {
  if (!(value instanceof Map)) reject('meta', `expected a map, got ${describe(value)}`);
  // Counted before converting: a huge map is refused without building its copy.
  if (value.size > MAX_WIRE_META_KEYS) {
    reject('meta', `${value.size} keys, more than ${MAX_WIRE_META_KEYS}`);
  }
  let decoded: Meta;
  try {
    decoded = json(value, 1) as Meta;
  } catch (error) {
    return prefixed(error, '.meta');
  }
  const tooLarge = wireMetaSizeProblem(decoded);
  if (tooLarge !== undefined) reject('meta', tooLarge.replace(/^meta: /, ''));
  return decoded;
}

/** Strings, booleans, null and finite numbers are their own JSON form (the common meta value). */
function isScalar(value: unknown): boolean {
  const type = typeof value;
  return (
    type === 'string' ||
    value === null ||
    type === 'boolean' ||
    (type === 'number' && Number.isFinite(value))
  );
}

/** A msgpack value as JSON data: Maps become plain objects, anything non-JSON is rejected. */
function json(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Reject('malformed', `${value} is not a JSON number`);
    return value;
  }
  if (depth > MAX_META_DEPTH) throw new Reject('malformed', `nested deeper than ${MAX_META_DEPTH}`);
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    let i = 0;
    try {
      for (; i < value.length; i++) {
        const item = value[i];
        out[i] = isScalar(item) ? item : json(item, depth + 1);
      }
    } catch (error) {
      return prefixed(error, `[${i}]`);
    }
    return out;
  }
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) {
      if (typeof key !== 'string') {
        throw new Reject('malformed', `map key ${describe(key)} is not a string`);
      }
      let decoded: unknown = item;
      if (!isScalar(item)) {
        try {
          decoded = json(item, depth + 1);
        } catch (error) {
          return prefixed(error, `.${key}`);
        }
      }
      if (key === '__proto__') {
        // Assignment would set the prototype; define an own data property instead.
        Object.defineProperty(out, key, {
          value: decoded,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[key] = decoded;
    }
    return out;
  }
  throw new Reject('malformed', `${describe(value)} is not a JSON value`);
}

export function ref(name: unknown, vsn: unknown, path: string): ReplicaRef {
  if (!isVsn(vsn)) reject(`${path}.vsn`, `expected a finite number, got ${describe(vsn)}`);
  return { name: str(name, `${path}.name`), vsn };
}

export function array(value: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(value)) reject(path, `expected an array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) {
    reject(path, `expected ${length} elements, got ${value.length}`);
  }
  return value;
}

export function uint(value: unknown, path: string): number {
  if (!isUint(value)) reject(path, `expected an integer in [0, 2^53 - 1], got ${describe(value)}`);
  return value;
}

export function str(value: unknown, path: string): string {
  if (typeof value !== 'string') reject(path, `expected a string, got ${describe(value)}`);
  return value;
}

export function reject(path: string, problem: string): never {
  throw new Reject('malformed', problem, `.${path}`);
}
