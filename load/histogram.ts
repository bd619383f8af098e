/**
 * A small mergeable latency histogram (log buckets, about 1 % relative error) that crosses
 * process boundaries as plain JSON: client workers record, the driver merges per second and
 * per phase. Values are milliseconds; anything below 10 µs lands in the first bucket.
 */

const FLOOR_MS = 0.01;
const RATIO = 1.02;
const LN_RATIO = Math.log(RATIO);

/** What crosses IPC: bucket index → count, plus exact count, sum and max. */
export interface HistogramData {
  readonly buckets: [number, number][];
  readonly count: number;
  readonly sum: number;
  readonly max: number;
}

export class Histogram {
  private readonly buckets = new Map<number, number>();
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const value = Math.max(ms, FLOOR_MS);
    const index = Math.ceil(Math.log(value / FLOOR_MS) / LN_RATIO);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: HistogramData | Histogram): void {
    const entries = other instanceof Histogram ? other.buckets.entries() : other.buckets;
    for (const [index, n] of entries) this.buckets.set(index, (this.buckets.get(index) ?? 0) + n);
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q (0..1), or NaN when empty; never above the recorded max. */
  percentile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index)!;
      if (seen >= rank) return Math.min(this.max, FLOOR_MS * RATIO ** index);
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  toData(): HistogramData {
    return {
      buckets: [...this.buckets.entries()],
      count: this.count,
      sum: this.sum,
      max: this.max,
    };
  }

  /** p50/p99/p999/max rounded to 0.1 ms (null when empty), for tables and JSON. */
  summary(): LatencySummary {
    const r = (v: number) => (Number.isNaN(v) ? null : Math.round(v * 10) / 10);
    return {
      count: this.count,
      p50: r(this.percentile(0.5)),
      p99: r(this.percentile(0.99)),
      p999: r(this.percentile(0.999)),
      max: r(this.count === 0 ? Number.NaN : this.max),
    };
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
}
