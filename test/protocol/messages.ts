/**
 * Canonical messages (one of each kind, frozen in `fixtures/replication-v1.json`) and fast-check
 * generators for any valid replication message.
 */
import fc from 'fast-check';
import type {
  DeltaWindow,
  EntryData,
  Meta,
  ReplicaRef,
  TransferPart,
} from '../../src/core/index.js';
import { replicaKey } from '../../src/core/index.js';
import type { ReplicationMessage } from '../../src/protocol/messages.js';

const nodeA: ReplicaRef = { name: 'node-a', vsn: 1763000000000 };
const nodeB: ReplicaRef = { name: 'node-b', vsn: 7 };

/** The benchmark's meta: the shape every presence has in practice. */
export const benchMeta: Meta = { status: 'online', device: 'web', online_at: 1763000000000 };

export function benchEntry(counter: number, prev = 0): EntryData {
  return { topic: 'user:123456', key: '123456', meta: benchMeta, counter, prev };
}

const window: DeltaWindow = {
  replica: nodeA,
  from: 40,
  to: 43,
  adds: [
    benchEntry(41),
    { topic: 'user:42', key: '42', meta: { status: 'away' }, counter: 43, prev: 12 },
  ],
  removes: [12, 42],
};

const clock = new Map([
  [replicaKey(nodeA), 43],
  [replicaKey(nodeB), 5],
]);

export const canonical: Record<string, ReplicationMessage> = {
  heartbeat: { type: 'heartbeat', from: nodeA, clock, delta: window },
  'heartbeat-empty': {
    type: 'heartbeat',
    from: { name: 'a', vsn: 1 },
    clock: new Map([['a#1', 2]]),
    delta: undefined,
  },
  'transfer-request': {
    type: 'transfer-request',
    from: nodeB,
    requestId: 'r1',
    clock: new Map([[replicaKey(nodeB), 5]]),
  },
  'transfer-part-window': {
    type: 'transfer-part',
    from: nodeA,
    requestId: 'r1',
    index: 0,
    total: 2,
    part: { kind: 'window', window },
  },
  'transfer-part-snapshot': {
    type: 'transfer-part',
    from: nodeA,
    requestId: 'r1',
    index: 1,
    total: 2,
    part: {
      kind: 'snapshot',
      transferId: 'k3x9q1m.1/node-c#3',
      replica: { name: 'node-c', vsn: 3 },
      upTo: 90,
      chunk: 0,
      chunkCount: 1,
      entries: [benchEntry(7), { topic: 'room:1', key: 'u1', meta: {}, counter: 90, prev: 8 }],
    },
  },
  'transfer-part-held': {
    type: 'transfer-part',
    from: nodeA,
    requestId: 'r1',
    index: 0,
    total: 2,
    part: {
      kind: 'held',
      transferId: 'k3x9q1m.1/held/node-d#4',
      replica: { name: 'node-d', vsn: 4 },
      upTo: 12,
      chunk: 0,
      chunkCount: 1,
      graceLeftMs: 27_500,
      entries: [
        { topic: 'user:u1', key: 'u1', meta: { phx_lineage: ['Zm9v', 1] }, counter: 12, prev: 0 },
      ],
    },
  },
  'transfer-part-empty': {
    type: 'transfer-part',
    from: nodeA,
    requestId: 'r2',
    index: 0,
    total: 0,
    part: undefined,
  },
  leave: { type: 'leave', from: nodeB },
  transferAck: { type: 'transfer-ack', from: nodeB, requestId: 'node-b-3', received: 2 },
};

// ── generators ───────────────────────────────────────────────────────────────────────────────

/** Well-formed strings, with the awkward ones made likely. */
export const stringArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', '__proto__', 'constructor', 'prototype', 'a#1', '#', 'né 🎉'),
  },
);

export const counterArb = fc.oneof(
  fc.nat({ max: 200 }),
  fc.maxSafeNat(),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1),
);

const vsnArb = fc.oneof(
  fc.maxSafeNat(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
);

const refArb: fc.Arbitrary<ReplicaRef> = fc.record({ name: stringArb, vsn: vsnArb });

/** JSON values without -0 (msgpack writes -0 as the integer 0, as JSON does). */
const scalarArb = fc.oneof(
  stringArb,
  fc.boolean(),
  fc.constant(null),
  counterArb,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
);

const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(stringArb, tie('json'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

export const metaArb: fc.Arbitrary<Meta> = fc.oneof(
  fc.constant(benchMeta),
  fc.dictionary(stringArb, scalarArb, { maxKeys: 6, noNullPrototype: true }),
  fc.dictionary(stringArb, json, { maxKeys: 4, noNullPrototype: true }),
);

export const entryArb: fc.Arbitrary<EntryData> = fc.record({
  topic: stringArb,
  key: stringArb,
  meta: metaArb,
  counter: counterArb,
  prev: counterArb,
});

const windowArb: fc.Arbitrary<DeltaWindow> = fc.record({
  replica: refArb,
  from: counterArb,
  to: counterArb,
  adds: fc.array(entryArb, { maxLength: 6 }),
  removes: fc.array(counterArb, { maxLength: 6 }),
});

const clockArb = fc
  .uniqueArray(fc.tuple(refArb, counterArb), {
    maxLength: 6,
    selector: ([ref]) => replicaKey(ref),
  })
  .map((rows) => new Map(rows.map(([ref, counter]) => [replicaKey(ref), counter])));

const partArb: fc.Arbitrary<TransferPart> = fc.oneof(
  windowArb.map((w) => ({ kind: 'window' as const, window: w })),
  fc
    .record({
      transferId: stringArb,
      replica: refArb,
      upTo: counterArb,
      chunkCount: fc.integer({ min: 1, max: 2 ** 31 }),
      entries: fc.array(entryArb, { maxLength: 6 }),
    })
    .chain((s) =>
      fc
        .nat({ max: s.chunkCount - 1 })
        .map((chunk) => ({ kind: 'snapshot' as const, ...s, chunk })),
    ),
  fc
    .record({
      transferId: stringArb,
      replica: refArb,
      upTo: counterArb,
      chunkCount: fc.integer({ min: 1, max: 2 ** 31 }),
      graceLeftMs: counterArb,
      entries: fc.array(entryArb, { maxLength: 6 }),
    })
    .chain((s) =>
      fc.nat({ max: s.chunkCount - 1 }).map((chunk) => ({ kind: 'held' as const, ...s, chunk })),
    ),
);

export const messageArb: fc.Arbitrary<ReplicationMessage> = fc.oneof(
  fc.record({
    type: fc.constant('heartbeat' as const),
    from: refArb,
    clock: clockArb,
    delta: fc.option(windowArb, { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('transfer-request' as const),
    from: refArb,
    requestId: stringArb,
    clock: clockArb,
  }),
  fc.oneof(
    fc.record({
      type: fc.constant('transfer-part' as const),
      from: refArb,
      requestId: stringArb,
      index: fc.constant(0),
      total: fc.constant(0),
      part: fc.constant(undefined),
    }),
    fc
      .record({
        from: refArb,
        requestId: stringArb,
        total: fc.integer({ min: 1, max: 2 ** 31 }),
        part: partArb,
      })
      .chain((m) =>
        fc
          .nat({ max: m.total - 1 })
          .map((index) => ({ type: 'transfer-part' as const, ...m, index })),
      ),
  ),
  fc.record({ type: fc.constant('leave' as const), from: refArb }),
  fc.record({
    type: fc.constant('transfer-ack' as const),
    from: refArb,
    requestId: stringArb,
    received: counterArb,
  }),
);
