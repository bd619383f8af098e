/** Steps and formatting shared by the scenarios. */
import type { Histogram } from '../histogram.js';
import type { ScenarioContext } from './scenario.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a phase after the workers have reported everything measured in the previous one. */
export async function enterPhase(
  context: ScenarioContext,
  name: string,
  expectedSeconds?: number,
): Promise<void> {
  await context.pool.flush();
  context.recorder.setPhase(name, expectedSeconds);
}

/** Opens every connection at the configured ramp rate; resolves with the ramp's seconds. */
export async function rampUp(context: ScenarioContext, phase = 'ramp'): Promise<number> {
  const { options, pool } = context;
  await enterPhase(context, phase, Math.ceil(options.connections / options.rampRate));
  const started = performance.now();
  await pool.connect(options.rampRate, options.concurrency);
  return (performance.now() - started) / 1000;
}

/** `p50 / p99 / p999 ms` of a histogram, `-` parts when empty. */
export function percentiles(h: Histogram, which: ('p50' | 'p99' | 'p999' | 'max')[]): string {
  const s = h.summary();
  return `${which.map((w) => (s[w] === null ? '-' : String(s[w]))).join(' / ')} ms`;
}

/** The CPU row of a phase: cores per side and per process. */
export function cpuRow(context: ScenarioContext, phase: string): string[] {
  const { groups, processes } = context.recorder.cores(phase);
  const nodes = Object.entries(processes)
    .filter(([name]) => name.startsWith('node'))
    .map(([name, cores]) => `${name} ${cores}`)
    .join(', ');
  return [
    `CPU during ${phase} (cores)`,
    `nodes ${groups.nodes} (${nodes}) · redis ${groups.redis} · clients ${groups.clients} · driver ${groups.driver}`,
    '',
  ];
}

/** The largest value a node reported for one /metrics figure during a phase. */
export function maxNodeFigure(
  context: ScenarioContext,
  phase: string,
  read: (m: { eventLoopLagP99Ms: number }) => number,
): number | null {
  let max: number | null = null;
  for (const point of context.recorder.series) {
    if (point.phase !== phase) continue;
    for (const m of point.nodes) {
      if (m && Number.isFinite(read(m))) max = Math.max(max ?? 0, read(m));
    }
  }
  return max === null ? null : Math.round(max * 10) / 10;
}
