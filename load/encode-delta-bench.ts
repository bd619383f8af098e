/**
 * Encoder micro-benchmark: encodes one heartbeat carrying a delta of 10,000 entries (metas as the
 * gateway tracks them) many times and prints the median time per frame. The figure for the
 * encoder's per-entry cost, e.g. before and after a change to src/protocol/encode.ts.
 *
 *   node --import tsx load/encode-delta-bench.ts [--entries 10000] [--runs 50]
 */
import { parseArgs } from 'node:util';
import type { EntryData, ReplicaRef } from '../src/core/index.js';
import { replicaKey } from '../src/core/index.js';
import { encodeMessage } from '../src/protocol/codec.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '50' },
  },
});
const entries = Number(values.entries);
const runs = Number(values.runs);
if (!Number.isInteger(entries) || entries < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('encode-delta-bench: --entries and --runs must be positive integers\n');
  process.exit(2);
}

const replica: ReplicaRef = { name: 'bench-a', vsn: 1 };
const adds: EntryData[] = Array.from({ length: entries }, (_, i) => ({
  topic: `user:${i}`,
  key: String(i),
  meta: { status: 'online', online_at: 1_763_000_000_000 + i, device: 'web', kind: 'web' },
  counter: i + 1,
  prev: 0,
}));
const message = {
  type: 'heartbeat' as const,
  from: replica,
  clock: new Map([[replicaKey(replica), entries]]),
  delta: { replica, from: 0, to: entries, adds, removes: [] },
};

for (let i = 0; i < 5; i++) encodeMessage(message); // warm-up
const times: number[] = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  bytes = encodeMessage(message).length;
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
process.stdout.write(
  `encode a delta of ${entries} entries (${bytes} bytes): median ${at(0.5).toFixed(2)} ms, ` +
    `p90 ${at(0.9).toFixed(2)} ms over ${runs} runs\n`,
);
