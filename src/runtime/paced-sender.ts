/**
 * Sends transfer answers at a bounded byte rate.
 *
 * A full transfer of a million presences is ~70 MB. Dumped at once on Redis pub/sub it overflows
 * the receiver's client output buffer (Redis's default for pub/sub clients: 32 MB hard, 8 MB for
 * 60 s soft), Redis drops that subscriber, its link goes down and the answer is lost and asked for
 * again. Pacing keeps the backlog small: a burst up front, then `bytesPerSecond`. Frames are
 * encoded only when their turn comes, so a large answer is never held encoded all at once.
 */
import type { Clock, Timers } from '../ports/clock.js';

export class PacedSender {
  private readonly queue: (() => void)[] = [];
  private windowStart = 0;
  private windowBytes = 0;
  private timer: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
  ) {}

  /** Queues a frame: `encode` runs when it is its turn, `write` sends the bytes. */
  enqueue(encode: () => Uint8Array, write: (frame: Uint8Array) => void): void {
    this.queue.push(() => {
      const frame = encode();
      this.windowBytes += frame.length;
      write(frame);
    });
    if (this.timer === undefined) this.drain();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Drops what is queued (the replica stopped). */
  clear(): void {
    this.queue.length = 0;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    this.timer = undefined;
    while (this.queue.length > 0) {
      const now = this.clock.now();
      const elapsedMs = now - this.windowStart;
      const allowance = this.burstBytes + (elapsedMs * this.bytesPerSecond) / 1000;
      if (
        this.windowBytes === 0 ||
        elapsedMs > 1000 * (this.windowBytes / this.bytesPerSecond) + 1000
      ) {
        // idle long enough: start a fresh window with a full burst
        this.windowStart = now;
        this.windowBytes = 0;
      } else if (this.windowBytes >= allowance) {
        const waitMs = Math.ceil(
          ((this.windowBytes - this.burstBytes) * 1000) / this.bytesPerSecond - elapsedMs,
        );
        this.timer = this.timers.setTimeout(() => this.drain(), Math.max(1, waitMs));
        return;
      }
      this.queue.shift()!();
    }
  }
}
