import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DecodeResult,
  decodeFailureLog,
  decodeMessage,
  encodeMessage,
  metaProblem,
} from '../../src/protocol/codec.js';
import type { ReplicationMessage, TransferPartMessage } from '../../src/protocol/messages.js';
import { packr } from '../../src/protocol/wire-layout.js';
import { canonical, messageArb } from './messages.js';

const frames = Object.values(canonical).map(encodeMessage);
/** A decoded frame's positional arrays, loosely typed so tests can tamper with any field. */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into positional arrays by index
type Wire = any[];
/** The positional arrays of a canonical frame, to tamper with one field at a time. */
const wire = (name: string): Wire => packr.unpack(encodeMessage(canonical[name]!));
const pack = (value: unknown) => packr.pack(value);

function expectFailure(result: DecodeResult, reason: string, detail?: RegExp): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toBe(reason);
  expect(result.detail.length).toBeGreaterThan(0);
  expect(result.detail.length).toBeLessThanOrEqual(200);
  if (detail) expect(result.detail).toMatch(detail);
}

/** Decoding must return, never throw, and a failure must carry a known reason. */
function decodeSafely(frame: Uint8Array): DecodeResult {
  let result: DecodeResult | undefined;
  expect(() => {
    result = decodeMessage(frame);
  }).not.toThrow();
  if (!result!.ok)
    expect(['malformed', 'unknown-version', 'unknown-type']).toContain(result!.reason);
  return result!;
}

describe('decoding hostile frames', () => {
  it('random bytes never throw and are rejected', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(decodeSafely(bytes).ok).toBe(false);
      }),
      { numRuns: 10_000 },
    );
  });

  it('random msgpack values never throw', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withMap: true,
          withSet: true,
          withDate: true,
          withBigInt: true,
          withTypedArray: true,
          withNullPrototype: true,
        }),
        (value) => {
          let frame: Uint8Array;
          try {
            frame = pack(value);
          } catch {
            return;
          }
          decodeSafely(frame);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('random arrays with a valid header never throw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.jsonValue(), { maxLength: 8 }),
        (code, body) => {
          decodeSafely(pack([1, code, 'n', 1, ...body]));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('every truncation of a valid frame is rejected as malformed', () => {
    for (const frame of frames) {
      for (let end = 0; end < frame.length; end++) {
        expectFailure(decodeSafely(frame.subarray(0, end)), 'malformed');
      }
    }
  });

  it('trailing bytes after a valid frame are rejected', () => {
    for (const frame of frames) {
      expectFailure(decodeSafely(Buffer.concat([frame, Buffer.from([0xc0])])), 'malformed');
    }
  });

  it('single-byte corruptions of valid messages never throw', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (message, at, byte) => {
        const frame = Buffer.from(encodeMessage(message));
        frame[at % frame.length] = byte;
        decodeSafely(frame);
      }),
      { numRuns: 3_000 },
    );
  });

  it('replacing any one field of a valid frame with a wrong value never throws', () => {
    const leaves = (value: unknown, path: number[] = []): number[][] =>
      Array.isArray(value)
        ? value.flatMap((item, i) => [[...path, i], ...leaves(item, [...path, i])])
        : [];
    const bad = fc.constantFrom<unknown>(
      -1,
      1.5,
      Number.NaN,
      Infinity,
      2 ** 53,
      '',
      'x',
      null,
      true,
      [],
      new Map(),
      new Uint8Array(2),
      new Date(0),
      undefined,
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(canonical)),
        fc.nat(),
        bad,
        (name, pick, value) => {
          const root = wire(name);
          const paths = leaves(root);
          const path = paths[pick % paths.length]!;
          let parent = root as unknown[];
          for (const i of path.slice(0, -1)) parent = parent[i] as unknown[];
          parent[path.at(-1)!] = value;
          decodeSafely(pack(root));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('rejects an unknown version, even when the rest does not decode', () => {
    for (const version of [0, 2, 200, 65535]) {
      const root = wire('leave');
      root[0] = version;
      expectFailure(decodeSafely(pack(root)), 'unknown-version', new RegExp(`version ${version}`));
    }
    // A future version may use msgpack this decoder cannot read (here 0xc1, never used).
    expectFailure(decodeSafely(Buffer.from('9302c1c1', 'hex')), 'unknown-version', /version 2/);
    expectFailure(decodeSafely(Buffer.from('dc000302c1', 'hex')), 'unknown-version');
    expectFailure(decodeSafely(pack(['1', 4, 'a', 1])), 'malformed', /version/);
    expectFailure(decodeSafely(pack([-1, 4, 'a', 1])), 'malformed', /version/);
  });

  it('rejects an unknown type code, and a type code that is not an integer', () => {
    for (const code of [0, 6, 99]) {
      expectFailure(decodeSafely(pack([1, code, 'a', 1])), 'unknown-type', new RegExp(`${code}`));
    }
    expectFailure(decodeSafely(pack([1, 'leave', 'a', 1])), 'malformed', /type/);
    expectFailure(decodeSafely(pack([1, 1.5, 'a', 1])), 'malformed', /type/);
  });

  it('rejects frames that are not an array of the right length', () => {
    expectFailure(decodeSafely(pack({ v: 1 })), 'malformed', /frame/);
    expectFailure(decodeSafely(pack([1])), 'malformed', /frame/);
    expectFailure(decodeSafely(pack([1, 4, 'a'])), 'malformed', /leave: expected 4 elements/);
    expectFailure(decodeSafely(pack([1, 4, 'a', 1, null])), 'malformed', /leave: expected 4/);
    expectFailure(decodeSafely(new Uint8Array(0)), 'malformed');
    expectFailure(decodeMessage('not bytes' as unknown as Uint8Array), 'malformed', /not bytes/);
  });

  it('rejects wrong field types with the field named', () => {
    const cases: [string, (root: Wire) => void, RegExp][] = [
      [
        'leave',
        (r) => {
          r[2] = 7;
        },
        /from\.name: expected a string/,
      ],
      [
        'leave',
        (r) => {
          r[3] = 'x';
        },
        /from\.vsn: expected a finite number/,
      ],
      [
        'leave',
        (r) => {
          r[3] = Number.NaN;
        },
        /from\.vsn/,
      ],
      [
        'heartbeat',
        (r) => {
          r[4] = r[4].slice(1);
        },
        /clock: 5 values is not a multiple of 3/,
      ],
      [
        'heartbeat',
        (r) => {
          r[4][2] = -1;
        },
        /clock\[node-a#1763000000000\]: expected an integer/,
      ],
      [
        'heartbeat',
        (r) => {
          r[4].push(...r[4].slice(0, 3));
        },
        /clock: replica node-a#1763000000000 appears twice/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][2] = Number.NaN;
        },
        /delta\.from: expected an integer/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][3] = 1.5;
        },
        /delta\.to/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][3] = 2 ** 53;
        },
        /delta\.to/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4].pop();
        },
        /delta\.adds: 9 values is not a multiple of 5/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][5] = -3;
        },
        /delta\.adds\[1\]\.counter/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][6] = '12';
        },
        /delta\.adds\[1\]\.prev/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][2] = null;
        },
        /delta\.adds\[0\]\.topic/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][4] = 'online';
        },
        /delta\.adds\[0\]\.meta: expected a map/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][4] = new Map([['a', new Uint8Array(1)]]);
        },
        /delta\.adds\[0\]\.meta\.a: (Buffer|Uint8Array) is not a JSON value/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][4] = new Map([['a', [1, Number.NaN]]]);
        },
        /meta\.a\[1\]: NaN is not a JSON number/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][4] = new Map([['a', new Date(0)]]);
        },
        /meta\.a: Date/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][4][4] = new Map([[1, 'x']]);
        },
        /meta: map key number 1 is not a string/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5][5] = [1, -1];
        },
        /delta\.removes\[1\]/,
      ],
      [
        'heartbeat',
        (r) => {
          r[5] = [];
        },
        /delta: expected 6 elements/,
      ],
      [
        'transfer-request',
        (r) => {
          r[4] = 1;
        },
        /requestId/,
      ],
      [
        'transfer-part-empty',
        (r) => {
          r[5] = 1;
        },
        /part: inconsistent numbering/,
      ],
      [
        'transfer-part-empty',
        (r) => {
          r[8] = [];
        },
        /part: kind none carries/,
      ],
      [
        'transfer-part-window',
        (r) => {
          r[5] = 2;
        },
        /inconsistent numbering/,
      ],
      [
        'transfer-part-window',
        (r) => {
          r[7] = 9;
        },
        /partKind: unknown part kind number 9/,
      ],
      [
        'transfer-part-window',
        (r) => {
          r[7] = 0;
          r[8] = null;
        },
        /inconsistent numbering/,
      ],
      [
        'transfer-part-snapshot',
        (r) => {
          r[8][4] = 1;
        },
        /part\.chunk: 1 is not below chunkCount 1/,
      ],
      [
        'transfer-part-snapshot',
        (r) => {
          r[8][6] = [1];
        },
        /part\.entries: 1 values/,
      ],
      [
        'transfer-part-snapshot',
        (r) => {
          r[8][0] = null;
        },
        /part\.transferId/,
      ],
    ];
    for (const [name, tamper, detail] of cases) {
      const root = wire(name);
      tamper(root);
      expectFailure(decodeSafely(pack(root)), 'malformed', detail);
    }
  });

  it('rejects metas nested deeper than 32 and accepts 32', () => {
    const nested = (depth: number): unknown =>
      depth === 1 ? new Map([['x', 1]]) : new Map([['x', nested(depth - 1)]]);
    for (const [depth, ok] of [
      [32, true],
      [33, false],
    ] as const) {
      const root = wire('heartbeat');
      root[5][4][4] = nested(depth);
      expect(decodeSafely(pack(root)).ok).toBe(ok);
    }
    const deep = Buffer.concat([Buffer.from('9601', 'hex'), Buffer.alloc(100_000, 0x91)]);
    expectFailure(decodeSafely(deep), 'malformed');
  });

  it('never pollutes Object.prototype through a __proto__ key', () => {
    const root = wire('heartbeat');
    const poison = new Map<string, unknown>([
      ['polluted', 'yes'],
      ['toString', 1],
    ]);
    root[5][4][4] = new Map<string, unknown>([
      ['__proto__', poison],
      ['nested', new Map([['__proto__', poison]])],
    ]);
    const result = decodeSafely(pack(root));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    if (!result.ok || result.message.type !== 'heartbeat') throw new Error('expected a heartbeat');
    const meta = result.message.delta!.adds[0]!.meta as Record<string, unknown>;
    const own = Object.getOwnPropertyDescriptor(meta, '__proto__');
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(Object.keys(meta)).toEqual(['__proto__', 'nested']);
    expect(own?.value).toEqual({ polluted: 'yes', toString: 1 });
    expect(meta['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(meta['nested'])).toBe(Object.prototype);
    expect(Object.keys(meta['nested'] as object)).toEqual(['__proto__']);
    expect(typeof meta['toString']).toBe('function');
  });

  it('gives log fields for a dropped frame', () => {
    const frame = Buffer.from('9302c1c1', 'hex');
    const result = decodeMessage(frame);
    if (result.ok) throw new Error('expected a failure');
    expect(decodeFailureLog(result, frame)).toEqual({
      reason: 'unknown-version',
      detail: result.detail,
      bytes: 4,
      head: '9302c1c1',
    });
  });
});

describe('encoding invalid messages', () => {
  const base = canonical['heartbeat'] as Extract<ReplicationMessage, { type: 'heartbeat' }>;
  const withEntry = (patch: Record<string, unknown>): ReplicationMessage => ({
    ...base,
    delta: { ...base.delta!, adds: [{ ...base.delta!.adds[0]!, ...patch }] },
  });

  it('throws a TypeError naming the field', () => {
    const cases: [ReplicationMessage, RegExp][] = [
      [withEntry({ counter: -1 }), /delta\.adds\[0\]\.counter/],
      [withEntry({ prev: 0.5 }), /delta\.adds\[0\]\.prev/],
      [withEntry({ topic: 1 }), /delta\.adds\[0\]\.topic/],
      [withEntry({ key: undefined }), /delta\.adds\[0\]\.key/],
      [withEntry({ meta: null }), /delta\.adds\[0\]\.meta: expected an object, got null/],
      [withEntry({ meta: 'online' }), /delta\.adds\[0\]\.meta: expected an object/],
      [{ ...base, from: { name: 'a', vsn: Number.NaN } }, /from\.vsn/],
      [{ ...base, clock: new Map([['no-vsn', 1]]) }, /clock: key "no-vsn" is not a replica key/],
      [{ ...base, clock: new Map([['a#01', 1]]) }, /not a replica key/],
      [{ ...base, clock: new Map([['a#1', -1]]) }, /clock\[a#1\]/],
      [{ ...base, delta: { ...base.delta!, removes: [1, -2] } }, /delta\.removes\[1\]/],
      [
        { ...(canonical['transfer-part-empty'] as TransferPartMessage), total: 1 },
        /inconsistent numbering/,
      ],
      [
        { ...(canonical['transfer-part-window'] as TransferPartMessage), index: 2 },
        /inconsistent numbering/,
      ],
      [
        { type: 'gossip', from: { name: 'a', vsn: 1 } } as unknown as ReplicationMessage,
        /unknown message type/,
      ],
    ];
    for (const [message, detail] of cases) {
      expect(() => encodeMessage(message)).toThrow(TypeError);
      expect(() => encodeMessage(message)).toThrow(detail);
    }
  });

  it('metaProblem accepts JSON metas and explains the rest', () => {
    expect(
      metaProblem({ status: 'online', n: 1, ok: true, none: null, deep: { a: [1, 'x'] } }),
    ).toBeUndefined();
    expect(metaProblem(Object.create(null))).toBeUndefined();
    expect(metaProblem([])).toMatch(/expected a plain object/);
    expect(metaProblem({ f: () => 1 })).toMatch(/meta\.f: function/);
    expect(metaProblem({ n: 10n })).toMatch(/meta\.n: bigint/);
  });
});
