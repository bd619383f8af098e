/** The durations that follow the tracker's timing (src/options/timing.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLICE_MS } from '../../src/gateway/outbound/diff-outboxes.js';
import { ALL_OPTIONS } from '../../src/options/index.js';
import {
  defaultDownPeriodMs,
  EVENT_LOOP_SLICE_MS,
  minimumDownPeriodMs,
  minimumOwnerWarmUpMs,
  ownershipOverlapMs,
  propagationMs,
  timingProblems,
} from '../../src/options/timing.js';
import { resolveTiming } from '../../src/runtime/replica-options.js';
import { DEFAULT_OWNERSHIP_OVERLAP_MS } from '../../src/user-online/user-online-feed.js';

const defaults = resolveTiming();

describe('timing', () => {
  it('finds nothing wrong with the defaults, and gives the durations the modules had', () => {
    expect(timingProblems(defaults)).toEqual([]);
    expect(ownershipOverlapMs(defaults.broadcastPeriodMs)).toBe(5_000);
    expect(DEFAULT_OWNERSHIP_OVERLAP_MS).toBe(5_000);
    expect(defaults.downPeriodMs).toBe(30_000);
    expect(SLICE_MS).toBe(8);
    expect(EVENT_LOOP_SLICE_MS).toBe(ALL_OPTIONS.fanOutSliceMs.default);
    expect(ALL_OPTIONS.ownerWarmUpMs.default).toBeGreaterThanOrEqual(
      minimumOwnerWarmUpMs(defaults),
    );
  });

  it('derives durations that outlast what they wait for, whatever the broadcast period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 1, max: 100 }),
        (b, silent) => {
          expect(ownershipOverlapMs(b)).toBeGreaterThanOrEqual(propagationMs(b));
          expect(defaultDownPeriodMs(b, silent)).toBeGreaterThanOrEqual(
            minimumDownPeriodMs(b, silent),
          );
          const timing = resolveTiming({
            broadcastPeriodMs: b,
            maxSilentPeriods: silent,
            permdownPeriodMs: 2 ** 40,
          });
          expect(timing.downPeriodMs).toBe(defaultDownPeriodMs(b, silent));
        },
      ),
    );
  });

  it('names the option and the fix when a duration does not fit the broadcast period', () => {
    const slow = { ...defaults, broadcastPeriodMs: 10_000, transferTimeoutMs: 100_000 };
    const problems = timingProblems(slow);
    expect(problems).toEqual([
      expect.stringMatching(/^leaveGraceMs \(5000\) .* raise it to 30000/),
      expect.stringMatching(/^offlineDelayMs \(5000\) .* raise it to 30000/),
      expect.stringMatching(/^ownerWarmUpMs \(30000\) .*130000 ms/),
    ]);
    expect(
      timingProblems({ ...slow, leaveGraceMs: 0, offlineDelayMs: 30_000, ownerWarmUpMs: 130_000 }),
    ).toEqual([]);
    const fast = { ...defaults, broadcastPeriodMs: 10 };
    expect(timingProblems({ ...fast, ownerWarmUpMs: 10 ** 6 })).toEqual([
      expect.stringMatching(/^maxBatchDelayMs \(1500\) is longer than broadcastPeriodMs \(10\)/),
      expect.stringMatching(/^fanOutSliceMs \(8\) holds the event loop/),
    ]);
  });
});
