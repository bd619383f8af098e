/** The freshness rule of the node bus (src/transports/frame-freshness.ts), at its edges. */
import { describe, expect, it } from 'vitest';
import { frameFreshness, replayWindowMs } from '../../src/transports/frame-freshness.js';

describe('frameFreshness', () => {
  const started = 1_000_000;
  const now = 2_000_000;
  const window = 60_000;

  it('accepts a send time from the start on, within the window either side of now', () => {
    expect(frameFreshness(now, now, started, window)).toBe('fresh');
    expect(frameFreshness(now - window, now, started, window)).toBe('fresh');
    expect(frameFreshness(now + window, now, started, window)).toBe('fresh');
    expect(frameFreshness(started, started, started, window)).toBe('fresh');
  });

  it('refuses one sent before this node started, however recent', () => {
    expect(frameFreshness(started - 1, started + 10, started, window)).toBe('before-start');
  });

  it('refuses one older than the window, and one further ahead than it', () => {
    expect(frameFreshness(now - window - 1, now, started, window)).toBe('too-old');
    expect(frameFreshness(now + window + 1, now, started, window)).toBe('from-the-future');
  });

  it('derives the window from the down period', () => {
    expect(replayWindowMs(30_000)).toBe(60_000);
  });
});
