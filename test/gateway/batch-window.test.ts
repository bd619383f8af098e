import { describe, expect, it } from 'vitest';
import {
  BatchWindow,
  HIGH_UTILIZATION,
  LOW_UTILIZATION,
  MIN_WINDOW_MS,
} from '../../src/gateway/outbound/batch-window.js';

const busy = (HIGH_UTILIZATION + 1) / 2;
const between = (HIGH_UTILIZATION + LOW_UTILIZATION) / 2;
const idle = LOW_UTILIZATION / 2;

describe('the batch window', () => {
  it('is 0 at rest, doubles from the smallest window while the node is busy, up to the bound', () => {
    const window = new BatchWindow(0, 500);
    expect(window.ms).toBe(0);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      window.observe(busy);
      seen.push(window.ms);
    }
    expect(seen).toEqual([MIN_WINDOW_MS, 20, 40, 80, 160, 320, 500, 500]);
  });

  it('holds between the thresholds and halves back to 0 once the node is idle', () => {
    const window = new BatchWindow(0, 500);
    for (let i = 0; i < 4; i++) window.observe(busy);
    expect(window.ms).toBe(80);
    window.observe(between);
    expect(window.ms).toBe(80);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      window.observe(idle);
      seen.push(window.ms);
    }
    expect(seen).toEqual([40, 20, 10, 0]);
  });

  it('never goes below its floor', () => {
    const window = new BatchWindow(50, 500);
    expect(window.ms).toBe(50);
    for (let i = 0; i < 5; i++) window.observe(idle);
    expect(window.ms).toBe(50);
    window.observe(busy);
    expect(window.ms).toBe(100);
  });
});
