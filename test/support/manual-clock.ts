/** A fake clock for deterministic tests: time moves only when the test advances it. */
import type { Clock, ServerClock, Timers } from '../../src/ports/clock.js';

interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
}

/** A clock and timers that move only on `advance`: runs what falls due, in time order. */
export class ManualClock implements Clock, Timers {
  private time = 0;
  private seq = 0;
  private queue: Scheduled[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const item = { at: this.time + Math.max(0, ms), seq: this.seq++, run: callback };
    this.queue.push(item);
    return item;
  }

  clearTimeout(handle: unknown): void {
    const index = this.queue.indexOf(handle as Scheduled);
    if (index >= 0) this.queue.splice(index, 1);
  }

  /** Timers waiting now. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs everything due up to now + ms, in time order (ties in the order they were set). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.queue.length; i++) {
        const item = this.queue[i]!;
        if (item.at > until) continue;
        const best = next >= 0 ? this.queue[next]! : undefined;
        if (!best || item.at < best.at || (item.at === best.at && item.seq < best.seq)) next = i;
      }
      if (next < 0) break;
      const [item] = this.queue.splice(next, 1);
      this.time = Math.max(this.time, item!.at);
      item!.run();
    }
    this.time = until;
  }
}

/** `clock` as a server's one clock: its time, and the wall time it started at plus its time. */
export function manualServerClock(clock: ManualClock, wallStart: number): ServerClock {
  return {
    now: () => clock.now(),
    wallNow: () => wallStart + clock.now(),
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
}
