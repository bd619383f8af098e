import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchWindow,
  BUSY_UTILIZATION,
  CALM_SHRINK,
  LATE_MS,
  MIN_WINDOW_MS,
  SATURATED_UTILIZATION,
} from '../../src/gateway/outbound/batch-window.js';

const busy = (BUSY_UTILIZATION + SATURATED_UTILIZATION) / 2;
const idle = BUSY_UTILIZATION / 2;
const behind = { utilization: busy, lateMs: LATE_MS };
const saturated = { utilization: SATURATED_UTILIZATION, lateMs: 0 };
const keepingUp = { utilization: busy, lateMs: LATE_MS - 1 };
const calm = { utilization: idle, lateMs: 0 };

describe('the batch window', () => {
  it('is 0 at rest, doubles from the smallest window while the node is behind, up to the bound', () => {
    const window = new BatchWindow(0, 1_500);
    expect(window.ms).toBe(0);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      window.observe(i % 2 === 0 ? behind : saturated);
      seen.push(window.ms);
    }
    expect(seen).toEqual([MIN_WINDOW_MS, 20, 40, 80, 160, 320, 640, 1_280, 1_500, 1_500]);
  });

  it('stays 0 while a busy node keeps up, and while a late node is mostly idle (its host is busy)', () => {
    const window = new BatchWindow(0, 1_500);
    for (let i = 0; i < 5; i++) window.observe(keepingUp);
    expect(window.ms).toBe(0);
    for (let i = 0; i < 5; i++) window.observe({ utilization: idle, lateMs: 10 * LATE_MS });
    expect(window.ms).toBe(0);
  });

  it('halves while a busy node keeps up, and falls by CALM_SHRINK to 0 when it is calm', () => {
    const window = new BatchWindow(0, 1_500);
    for (let i = 0; i < 5; i++) window.observe(behind);
    expect(window.ms).toBe(160);
    window.observe(keepingUp);
    expect(window.ms).toBe(80);
    window.observe(calm);
    expect(window.ms).toBe(80 / CALM_SHRINK);
    window.observe(calm);
    expect(window.ms).toBe(0);
    for (let i = 0; i < 9; i++) window.observe(behind);
    expect(window.ms).toBe(1_500);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      window.observe(calm);
      seen.push(window.ms);
    }
    expect(seen).toEqual([375, 93.75, 23.4375, 0]);
  });

  it('grows while handshakes wait for admission (a connect storm), however idle the loop', () => {
    const window = new BatchWindow(0, 1_500);
    window.observe({ ...calm, handshakesWaiting: 1 });
    window.observe({ ...calm, handshakesWaiting: 40 });
    expect(window.ms).toBe(2 * MIN_WINDOW_MS);
    window.observe(calm);
    expect(window.ms).toBe(0);
  });

  it('never goes below its floor', () => {
    const window = new BatchWindow(50, 1_500);
    expect(window.ms).toBe(50);
    for (let i = 0; i < 5; i++) window.observe(calm);
    expect(window.ms).toBe(50);
    window.observe(behind);
    expect(window.ms).toBe(100);
  });

  it('whatever it observes, stays within [floor, cap], 0 or at least the smallest window', () => {
    const signals = fc.record({
      utilization: fc.double({ min: 0, max: 1, noNaN: true }),
      lateMs: fc.double({ min: 0, max: 60_000, noNaN: true }),
      handshakesWaiting: fc.nat({ max: 2_000 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(signals, { maxLength: 60 }),
        (minMs, maxMs, seen) => {
          const window = new BatchWindow(minMs, maxMs);
          for (const s of seen) {
            window.observe(s);
            expect(window.ms).toBeLessThanOrEqual(maxMs);
            expect(window.ms).toBeGreaterThanOrEqual(Math.min(minMs, maxMs));
            if (window.ms > 0 && window.ms < MIN_WINDOW_MS)
              expect([minMs, maxMs]).toContain(window.ms);
          }
        },
      ),
    );
  });
});
