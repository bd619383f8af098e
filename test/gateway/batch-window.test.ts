/** The batch window's rule (src/gateway/outbound/batch-window.ts), look by look. */
import { describe, expect, it } from 'vitest';
import {
  BatchWindow,
  LATE_MS,
  MIN_PRESSURE_SAMPLE,
  MIN_WINDOW_MS,
  type WindowSignals,
} from '../../src/gateway/outbound/batch-window.js';

const quiet = { writingMs: 0, sinceLookMs: 200, carried: 0, cpuMs: 200 };
const calm: WindowSignals = { lateMs: 0, due: 100, busy: 0, ...quiet };
const late = (lateMs = LATE_MS): WindowSignals => ({ lateMs, due: 100, busy: 0, ...quiet });

describe('the batch window', () => {
  it('is 0 at rest and stays 0 while the node keeps up, however much it writes', () => {
    const window = new BatchWindow(0, 3_000);
    for (let i = 0; i < 10; i++)
      window.observe({ ...calm, lateMs: LATE_MS - 1, due: 100_000, writingMs: 199 });
    expect(window.ms).toBe(0);
  });

  it('a single late look (a stall) holds; late at two looks in a row, it grows', () => {
    const window = new BatchWindow(0, 3_000);
    window.observe(late(400));
    expect(window.ms).toBe(0);
    window.observe(calm);
    window.observe(late(60));
    expect(window.ms).toBe(0);
    window.observe(late(60));
    expect(window.ms).toBe(MIN_WINDOW_MS);
  });

  it('doubles at each late look, up to the bound', () => {
    const window = new BatchWindow(0, 3_000);
    window.observe(late());
    const seen: number[] = [];
    for (let i = 0; i < 11; i++) {
      window.observe(late(900));
      seen.push(window.ms);
    }
    expect(seen).toEqual([10, 20, 40, 80, 160, 320, 640, 1_280, 2_560, 3_000, 3_000]);
  });

  it('write pressure grows it at once: half the due outboxes found their transport busy', () => {
    const window = new BatchWindow(0, 3_000);
    window.observe({ ...calm, due: MIN_PRESSURE_SAMPLE, busy: MIN_PRESSURE_SAMPLE / 2 });
    expect(window.ms).toBe(MIN_WINDOW_MS);
    window.observe({ ...calm, due: MIN_PRESSURE_SAMPLE - 1, busy: MIN_PRESSURE_SAMPLE - 1 });
    expect(window.ms).toBe(0);
  });

  it('saturated (half the look spent writing, due work left over) at two looks in a row, it grows', () => {
    const window = new BatchWindow(0, 3_000);
    const saturated = { ...calm, writingMs: 100, carried: 1 };
    window.observe(saturated);
    expect(window.ms).toBe(0);
    window.observe(saturated);
    expect(window.ms).toBe(MIN_WINDOW_MS);
    // Busy writing but nothing left over: the node keeps up.
    window.observe({ ...calm, writingMs: 200 });
    expect(window.ms).toBe(0);
    window.observe({ ...saturated, writingMs: 99 });
    window.observe({ ...saturated, writingMs: 99 });
    expect(window.ms).toBe(0);
  });

  it('lateness while the node itself is not busy (starved by its host) is not a storm', () => {
    const window = new BatchWindow(0, 3_000);
    const starved = { ...late(400), cpuMs: 159 };
    for (let i = 0; i < 5; i++) window.observe(starved);
    expect(window.ms).toBe(0);
    window.observe({ ...starved, cpuMs: 160 });
    window.observe({ ...starved, cpuMs: 160 });
    expect(window.ms).toBe(MIN_WINDOW_MS);
  });

  it('shrinks by a quarter at each look that is not late, to 0', () => {
    const window = new BatchWindow(0, 3_000);
    for (let i = 0; i < 12; i++) window.observe(late());
    expect(window.ms).toBe(3_000);
    const seen: number[] = [];
    while (window.ms > 0) {
      window.observe(calm);
      seen.push(window.ms);
    }
    expect(seen.slice(0, 3)).toEqual([2_250, 1_688, 1_266]);
    // 20 looks of 200 ms: 4 s of calm from the longest window to 0.
    expect(seen.length).toBe(20);
  });

  it('never goes below its floor', () => {
    const window = new BatchWindow(50, 500);
    expect(window.ms).toBe(50);
    for (let i = 0; i < 5; i++) window.observe(calm);
    expect(window.ms).toBe(50);
    window.observe(late());
    window.observe(late());
    expect(window.ms).toBe(100);
  });
});
