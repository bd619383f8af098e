import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/protocol/codec.js';
import type { ReplicationMessage } from '../../src/protocol/messages.js';
import { benchEntry, canonical, messageArb } from './messages.js';

function roundTrip(message: ReplicationMessage): ReplicationMessage {
  const decoded = decodeMessage(encodeMessage(message));
  if (!decoded.ok) throw new Error(`${decoded.reason}: ${decoded.detail}`);
  return decoded.message;
}

/** Every object in a decoded message is plain: Object.prototype, own enumerable data only. */
function expectPlain(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (value instanceof Map) {
    for (const [key, item] of value) {
      expect(typeof key).toBe('string');
      expect(typeof item).toBe('number');
    }
    return;
  }
  expect(Object.getPrototypeOf(value)).toBe(
    Array.isArray(value) ? Array.prototype : Object.prototype,
  );
  for (const key of Reflect.ownKeys(value)) {
    if (Array.isArray(value) && key === 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    expect(typeof key).toBe('string');
    expect('value' in descriptor && descriptor.enumerable).toBe(true);
    expectPlain(descriptor.value);
  }
}

describe('replication codec round trip', () => {
  it('decodes every encoded message to an equal message of plain data', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const decoded = roundTrip(message);
        expect(decoded).toEqual(message);
        expectPlain(decoded);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is deterministic: the same message always gives the same bytes', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        expect(Buffer.from(encodeMessage(message))).toEqual(Buffer.from(encodeMessage(message)));
        expect(Buffer.from(encodeMessage(roundTrip(message)))).toEqual(
          Buffer.from(encodeMessage(message)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('decodes entries with exactly topic, key, meta, counter and prev', () => {
    const decoded = roundTrip(canonical['heartbeat']!);
    if (decoded.type !== 'heartbeat' || !decoded.delta) throw new Error('not a heartbeat delta');
    for (const entry of decoded.delta.adds) {
      expect(Object.keys(entry).sort()).toEqual(['counter', 'key', 'meta', 'prev', 'topic']);
    }
    expect(Object.keys(decoded.delta).sort()).toEqual(['adds', 'from', 'removes', 'replica', 'to']);
    expect(Object.keys(decoded.from).sort()).toEqual(['name', 'vsn']);
  });

  it('keeps a __proto__ meta key as an own property, at any depth', () => {
    const meta = JSON.parse('{"__proto__": {"polluted": true, "__proto__": [1]}, "ok": 1}');
    const message: ReplicationMessage = {
      type: 'heartbeat',
      from: { name: '__proto__', vsn: 1 },
      clock: new Map([['__proto__#1', 3]]),
      delta: {
        replica: { name: '__proto__', vsn: 1 },
        from: 2,
        to: 3,
        adds: [{ topic: '__proto__', key: '__proto__', meta, counter: 3, prev: 0 }],
        removes: [],
      },
    };
    const decoded = roundTrip(message);
    expect(decoded).toEqual(message);
    if (decoded.type !== 'heartbeat') throw new Error('not a heartbeat');
    const got = decoded.delta!.adds[0]!.meta as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.keys(got)).toEqual(['__proto__', 'ok']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expectPlain(decoded);
  });

  it('measures the wire bytes per entry of the benchmark meta', () => {
    const from = { name: 'node-a', vsn: 1763000000000 };
    const heartbeat = (n: number, base: number): ReplicationMessage => ({
      type: 'heartbeat',
      from,
      clock: new Map([['node-a#1763000000000', base + n]]),
      delta: {
        replica: from,
        from: base,
        to: base + n,
        adds: Array.from({ length: n }, (_, i) => benchEntry(base + 1 + i)),
        removes: [],
      },
    });
    for (const base of [1_000, 100_000, 10_000_000_000]) {
      const perEntry =
        (encodeMessage(heartbeat(1000, base)).length - encodeMessage(heartbeat(0, base)).length) /
        1000;
      console.log(`wire bytes per entry (counters near ${base}): ${perEntry}`);
      expect(perEntry).toBeGreaterThan(0);
    }
  });
});
