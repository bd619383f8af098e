/**
 * Tracker core benchmark: one replica with N presences (default 1,000,000), each on its own topic
 * `user:<i>`, as the gateway tracks them. Prints a table and writes load/results/tracker.json.
 *
 *   npm run bench:tracker                 # 1M entries
 *   npm run bench:tracker -- --entries 100000
 *
 * Needs --expose-gc (the npm script passes it) for the memory figure.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PresenceState, type ReplicaRef } from '../src/core/index.js';
import { machineInfo } from './machine.js';
import { printTable, resultsPath, round } from './report.js';

const { values } = parseArgs({
  options: { entries: { type: 'string', default: '1000000' } },
});
const entries = Number(values.entries);
if (!Number.isInteger(entries) || entries < 10_000) {
  process.stderr.write('bench:tracker: --entries must be an integer ≥ 10000\n');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('bench:tracker: run with node --expose-gc (npm run bench:tracker does)\n');
  process.exit(2);
}

const DELTA_SIZE = 10_000;
const ONLINE_AT = 1_763_000_000_000;
// The server counts `user:` topics (online users and connections) on every link and unlink.
const COUNTED = { countedTopicPrefixes: ['user:'] };
const local: ReplicaRef = { name: 'bench-a', vsn: 1 };
const remote: ReplicaRef = { name: 'bench-b', vsn: 1 };

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ── track, and memory per entry ──────────────────────────────────────────────────────────────
const heapBefore = heapUsed();
const state = new PresenceState(local, COUNTED);
let start = process.hrtime.bigint();
for (let i = 0; i < entries; i++) {
  const id = String(i);
  state.track(`user:${id}`, id, `conn-${id}`, {
    status: 'online',
    device: 'web',
    online_at: ONLINE_AT + i,
  });
}
const trackSeconds = seconds(start);
state.takeDelta(); // what the heartbeat does: the pending delta is handed off
const bytesPerEntry = (heapUsed() - heapBefore) / entries;
log(`tracked ${entries} in ${trackSeconds.toFixed(2)} s`);

// ── list latency ─────────────────────────────────────────────────────────────────────────────
const LIST_SAMPLES = 200_000;
const listNs = new Float64Array(LIST_SAMPLES);
let listed = 0;
let seed = 42;
for (let i = 0; i < LIST_SAMPLES; i++) {
  seed = (seed * 1_103_515_245 + 12_345) >>> 0;
  const topic = `user:${seed % entries}`;
  const t0 = process.hrtime.bigint();
  listed += state.list(topic).length;
  listNs[i] = Number(process.hrtime.bigint() - t0);
}
listNs.sort();
const listP50Us = listNs[Math.floor(LIST_SAMPLES * 0.5)]! / 1000;
const listP99Us = listNs[Math.floor(LIST_SAMPLES * 0.99)]! / 1000;
if (listed !== LIST_SAMPLES)
  throw new Error(`list returned ${listed} presences, expected ${LIST_SAMPLES}`);

// ── full transfer: extract for an empty replica, merge every chunk ───────────────────────────
const fresh = new PresenceState({ name: 'bench-fresh', vsn: 1 }, COUNTED);
fresh.replicaUp(local);
start = process.hrtime.bigint();
const parts = state.extract(fresh.self.ref, fresh.clock(), 'bench');
let transferred = 0;
for (const part of parts) transferred += fresh.mergeTransfer(part).change.joins.length;
const fullTransferMs = seconds(start) * 1000;
if (transferred !== entries || fresh.size !== entries) {
  throw new Error(`full transfer moved ${transferred} of ${entries}`);
}
log(`full transfer in ${fullTransferMs.toFixed(0)} ms (${parts.length} chunks)`);

// ── merge a remote replica's deltas of 10,000 changes each ───────────────────────────────────
const source = new PresenceState(remote, COUNTED);
const windows = [];
for (let i = 0; i < entries; i++) {
  const id = `r${i}`;
  source.track(`user:${id}`, id, id, {
    status: 'online',
    device: 'phone',
    online_at: ONLINE_AT + i,
  });
  if ((i + 1) % DELTA_SIZE === 0) windows.push(source.takeDelta()!);
}
const rest = source.takeDelta();
if (rest) windows.push(rest);
state.replicaUp(remote);
start = process.hrtime.bigint();
let merged = 0;
for (const window of windows) merged += state.mergeDelta(window).change.joins.length;
const mergeSeconds = seconds(start);
if (merged !== entries) throw new Error(`merged ${merged} of ${entries}`);
if (state.prefixCounts('user:')?.topics !== 2 * entries) throw new Error('online count is off');
log(`merged ${merged} remote entries in ${mergeSeconds.toFixed(2)} s`);

// ── update and untrack (local) ───────────────────────────────────────────────────────────────
start = process.hrtime.bigint();
for (let i = 0; i < entries; i++) {
  const id = String(i);
  state.update(`user:${id}`, id, `conn-${id}`, {
    status: 'away',
    device: 'web',
    online_at: ONLINE_AT + i,
  });
  if ((i + 1) % DELTA_SIZE === 0) state.takeDelta();
}
const updateSeconds = seconds(start);
start = process.hrtime.bigint();
for (let i = 0; i < entries; i++) {
  const id = String(i);
  state.untrack(`user:${id}`, id, `conn-${id}`);
  if ((i + 1) % DELTA_SIZE === 0) state.takeDelta();
}
const untrackSeconds = seconds(start);
if (state.entryCount(local) !== 0) throw new Error('untrack left entries behind');

const results = {
  benchmark: 'tracker',
  date: new Date().toISOString(),
  machine: machineInfo(),
  entries,
  trackPerSec: Math.round(entries / trackSeconds),
  updatePerSec: Math.round(entries / updateSeconds),
  untrackPerSec: Math.round(entries / untrackSeconds),
  mergeEntriesPerSec: Math.round(entries / mergeSeconds),
  deltaSize: DELTA_SIZE,
  fullTransferMs: Math.round(fullTransferMs),
  fullTransferChunks: parts.length,
  bytesPerEntry: Math.round(bytesPerEntry),
  listP50Us: round(listP50Us, 2),
  listP99Us: round(listP99Us, 2),
  targets: {
    trackPerSec: 400_000,
    mergeEntriesPerSec: 1_000_000,
    bytesPerEntry: 500,
    fullTransferMs: 3_000,
    listP99Us: 50,
  },
};

printTable(`tracker core, ${entries.toLocaleString('en')} entries`, [
  ['track', `${results.trackPerSec.toLocaleString('en')} /s`, '≥ 400,000 /s'],
  ['update', `${results.updatePerSec.toLocaleString('en')} /s`, ''],
  ['untrack', `${results.untrackPerSec.toLocaleString('en')} /s`, ''],
  [
    'merge remote deltas (10k each)',
    `${results.mergeEntriesPerSec.toLocaleString('en')} entries/s`,
    '≥ 1,000,000 /s',
  ],
  ['full transfer (extract + merge)', `${results.fullTransferMs} ms`, '≤ 3,000 ms'],
  ['memory per entry', `${results.bytesPerEntry} bytes`, '≤ 500 bytes'],
  ['list p50 / p99', `${results.listP50Us} / ${results.listP99Us} µs`, 'p99 ≤ 50 µs'],
]);
const path = resultsPath('tracker.json');
writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${path}`);
