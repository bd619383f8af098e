/**
 * Is something falling behind? Compares a per-second figure between the first and the last third
 * of a phase: a backlog shows as a figure that keeps growing (time to presence_state, staleness,
 * event-loop lag), a steady system as a flat one.
 */
import type { SeriesPoint } from '../recorder.js';

export interface Trend {
  readonly firstThird: number | null;
  readonly lastThird: number | null;
  /** Least-squares slope, per minute. */
  readonly slopePerMinute: number | null;
  /** Last third above twice the first third and at least `floor` more. */
  readonly growing: boolean;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function trend(
  series: readonly SeriesPoint[],
  phase: string,
  read: (point: SeriesPoint) => number | undefined,
  floor: number,
): Trend {
  const points = series
    .filter((p) => p.phase === phase)
    .map((p) => ({ t: p.t, v: read(p) }))
    .filter((p): p is { t: number; v: number } => p.v !== undefined && Number.isFinite(p.v));
  const third = Math.floor(points.length / 3);
  const first = median(points.slice(0, third).map((p) => p.v));
  const last = median(points.slice(points.length - third).map((p) => p.v));
  let slope: number | null = null;
  if (points.length >= 3) {
    const mt = points.reduce((a, p) => a + p.t, 0) / points.length;
    const mv = points.reduce((a, p) => a + p.v, 0) / points.length;
    const num = points.reduce((a, p) => a + (p.t - mt) * (p.v - mv), 0);
    const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
    slope = den === 0 ? 0 : Math.round((num / den) * 60 * 10) / 10;
  }
  const r = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    firstThird: r(first),
    lastThird: r(last),
    slopePerMinute: slope,
    growing: first !== null && last !== null && last > 2 * first && last - first >= floor,
  };
}

export function describeTrend(t: Trend, unit: string): string {
  if (t.firstThird === null || t.lastThird === null) return 'no data';
  return `${t.firstThird} → ${t.lastThird} ${unit} (${t.growing ? 'GROWING' : 'flat'})`;
}
