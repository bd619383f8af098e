/**
 * The one check on a meta this node writes (track, update, move): it must be something every
 * replica can decode (`metaProblem`, src/protocol/wire-layout.ts: plain JSON within the wire's
 * size limits). It runs once, where the meta enters the replica; the encoder then trusts the
 * state's metas and does not re-walk them on every broadcast, delta and transfer chunk.
 *
 * What is stored is a frozen copy, not the caller's object: a caller that changes its object
 * after the call cannot put an unchecked meta into the state (or into a frame).
 *
 * Rules owned elsewhere: the gateway's client-facing rules
 * (src/gateway/session/patch-validation.ts, src/gateway/edge/handshake-meta.ts, the whole-meta
 * bound in src/gateway/session/presence-updates.ts) refuse a client's input with its error codes;
 * the decoder (src/protocol/decode-values.ts) checks remote metas, a trust boundary.
 */
import type { Meta } from '../core/index.js';
import { InvalidInputError } from '../errors.js';
import { MAX_META_DEPTH, metaProblem } from '../protocol/codec.js';

/** @throws InvalidInputError when the meta is not plain JSON within the wire's limits. */
export function replicableMeta(meta: Meta): Meta {
  // Copied first, then the copy checked: each field is read once (a getter cannot answer the
  // check one value and the state another), and what is checked is what is stored.
  const copy = frozenCopy(meta, 1);
  const problem = metaProblem(copy);
  if (problem) throw new InvalidInputError(`meta cannot be replicated: ${problem}`);
  return copy as Meta;
}

/**
 * A deep copy of plain objects and arrays, frozen at every level; `__proto__` stays an own data
 * property. Anything else (a Date, a Map, a container nested too deep) is left as it is, for the
 * check to refuse.
 */
function frozenCopy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_META_DEPTH) return value;
  if (Array.isArray(value)) return Object.freeze(value.map((item) => frozenCopy(item, depth + 1)));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
  for (const key of Object.keys(source)) {
    const field = frozenCopy(source[key], depth + 1);
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: field,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else copy[key] = field;
  }
  return Object.freeze(copy);
}
