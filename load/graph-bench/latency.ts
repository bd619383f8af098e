/** Latency sampling for the graph benchmark: warm up, then time each call on its own. */

export interface LatencyStats {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export async function measureLatency(
  call: (index: number) => Promise<unknown>,
  samples: number,
  warmup = Math.min(200, samples),
): Promise<LatencyStats> {
  for (let index = 0; index < warmup; index++) await call(index);
  // Start each series with a clean heap, so one series' garbage is not billed to the next.
  (globalThis as { gc?: () => void }).gc?.();
  const durations = new Float64Array(samples);
  for (let index = 0; index < samples; index++) {
    const start = process.hrtime.bigint();
    await call(index);
    durations[index] = Number(process.hrtime.bigint() - start) / 1e6;
  }
  durations.sort();
  const total = durations.reduce((sum, value) => sum + value, 0);
  return {
    samples,
    p50Ms: round(percentile(durations, 0.5)),
    p99Ms: round(percentile(durations, 0.99)),
    meanMs: round(total / samples),
  };
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** xorshift32: a fast seeded generator, so runs build the same graph. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}
