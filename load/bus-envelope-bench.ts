/**
 * Node bus micro-benchmark: what one frame costs the bus, with a cluster secret, at two frame sizes
 * (a small heartbeat, a 16 KiB delta):
 *
 * - `receive checks`: what a receiver does before any handler (decodeEnvelope, the MAC check,
 *   the freshness check when this version has one, the replay guard);
 * - `send + receive`: a frame through two in-memory node buses with a synchronous scheduler
 *   (encode and sign, the copy, then the receive checks and the dispatch).
 *
 * Prints the median ns per frame over `--runs` runs of `--frames` frames (a twentieth of them
 * for the large frame). It runs unchanged on a
 * bus without the freshness check (envelope version 1), to compare before and after.
 *
 *   node --import tsx load/bus-envelope-bench.ts [--frames 100000] [--runs 7]
 */
import { parseArgs } from 'node:util';
import * as envelopes from '../src/transports/bus-envelope.js';
import { createInMemoryBus } from '../src/transports/in-memory-bus.js';
import { ReplayGuard } from '../src/transports/replay-guard.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '7' },
  },
});
const frames = Number(values.frames);
const runs = Number(values.runs);
if (!Number.isInteger(frames) || frames < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('bus-envelope-bench: --frames and --runs must be positive integers\n');
  process.exit(2);
}

const SECRET = Buffer.from('bus-envelope-bench-secret-of-32-bytes!!');
type Freshness = (sent: number, now: number, started: number, window: number) => string;
const freshness: Freshness | undefined = await import('../src/transports/frame-freshness.js').then(
  (module: { frameFreshness?: Freshness }) => module.frameFreshness,
  () => undefined,
);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function receiveChecks(frame: Uint8Array, frames: number): number {
  // One signed envelope per sequence number, made before timing.
  const startedAt = Date.now();
  const signed = Array.from({ length: frames }, (_, i) =>
    envelopes.encodeEnvelope(
      {
        kind: 'tracker',
        sender: 'node-a',
        target: undefined,
        incarnation: 7n,
        seq: BigInt(i + 1),
        sentAtMs: startedAt,
      } as envelopes.EnvelopeFields,
      frame,
      SECRET,
    ),
  );
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const guard = new ReplayGuard();
    let accepted = 0;
    const t0 = process.hrtime.bigint();
    for (const bytes of signed) {
      const envelope = envelopes.decodeEnvelope(bytes);
      if (!envelope.ok || !envelopes.hasValidMac(envelope, [SECRET])) continue;
      const sentAt = (envelope as { sentAtMs?: number }).sentAtMs ?? 0;
      if (freshness && freshness(sentAt, Date.now(), startedAt, 60_000) !== 'fresh') continue;
      if (guard.accept(envelope.sender, envelope.incarnation, envelope.seq)) accepted++;
    }
    const elapsed = Number(process.hrtime.bigint() - t0);
    if (accepted !== frames) throw new Error(`accepted ${accepted} of ${frames}`);
    samples.push(elapsed / frames);
  }
  return median(samples);
}

async function sendAndReceive(frame: Uint8Array, frames: number): Promise<number> {
  const net = createInMemoryBus({ schedule: (deliver) => deliver() });
  const a = net.createNodeBus('node-a', { clusterSecret: SECRET });
  const b = net.createNodeBus('node-b', { clusterSecret: SECRET });
  let received = 0;
  b.channel('tracker').onFrame(() => {
    received++;
  });
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    received = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < frames; i++) a.channel('tracker').broadcast(frame);
    const elapsed = Number(process.hrtime.bigint() - t0);
    if (received !== frames) throw new Error(`received ${received} of ${frames}`);
    samples.push(elapsed / frames);
  }
  await Promise.all([a.close(), b.close()]);
  return median(samples);
}

/** The freshness check alone (a clock read and three comparisons), when this version has one. */
function freshnessAlone(check: Freshness): number {
  const startedAt = Date.now();
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    let fresh = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < frames; i++) {
      if (check(startedAt + (i & 1), Date.now(), startedAt, 60_000) === 'fresh') fresh++;
    }
    const elapsed = Number(process.hrtime.bigint() - t0);
    if (fresh !== frames) throw new Error(`fresh ${fresh} of ${frames}`);
    samples.push(elapsed / frames);
  }
  return median(samples);
}

const version = (envelopes as { ENVELOPE_VERSION?: number }).ENVELOPE_VERSION;
process.stdout.write(
  `bus envelope version ${version}, freshness check ${freshness ? 'on' : 'absent'}; ${frames} frames × ${runs} runs, median ns/frame\n`,
);
for (const [label, size] of [
  ['100 B frame', 100],
  ['16 KiB frame', 16_384],
] as const) {
  const frame = new Uint8Array(size).fill(7);
  // Fewer large frames: the signed envelopes are made up front.
  const count = size > 1_000 ? Math.ceil(frames / 20) : frames;
  const checks = receiveChecks(frame, count);
  const path = await sendAndReceive(frame, count);
  process.stdout.write(
    `${label.padEnd(13)} receive checks ${checks.toFixed(0).padStart(6)} ns   send + receive ${path.toFixed(0).padStart(6)} ns\n`,
  );
}
if (freshness) {
  process.stdout.write(`freshness check alone ${freshnessAlone(freshness).toFixed(0)} ns/frame\n`);
}
