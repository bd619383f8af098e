/**
 * The `overloaded` retry hint grows with the queue: the time the handshakes ahead take at the pace
 * of the last admissions, never below `retryAfterMs`, never above MAX_RETRY_HINT_MS. A hand-driven
 * clock and a fixed random (no jitter at 0.5) make every hint exact.
 */
import { describe, expect, it } from 'vitest';
import { Admission, MAX_RETRY_HINT_MS, Overloaded } from '../../src/gateway/edge/admission.js';

function admissionAt(options: { concurrency: number; queue: number; retryAfterMs: number }) {
  const clock = { ms: 0 };
  const admission = new Admission(
    options,
    () => clock.ms,
    () => 0.5,
  );
  return { admission, clock };
}

/** Admits one connection and ends its admission `afterMs` later. */
async function admitAndEnd(
  admission: Admission,
  clock: { ms: number },
  afterMs: number,
): Promise<void> {
  const release = await admission.enter(() => true);
  clock.ms += afterMs;
  release?.();
}

describe('the overloaded retry hint', () => {
  it('is retryAfterMs before any admission has ended (no pace known yet)', () => {
    const { admission } = admissionAt({ concurrency: 1, queue: 0, retryAfterMs: 1_000 });
    void admission.enter(() => true);
    expect(admission.retryHint()).toBe(1_000);
  });

  it('is the time the queue ahead takes at the pace of the last admissions', async () => {
    const { admission, clock } = admissionAt({ concurrency: 2, queue: 400, retryAfterMs: 100 });
    // One admission ends every 10 ms: a pace of 0.1 per ms.
    for (let i = 0; i < 20; i++) await admitAndEnd(admission, clock, 10);
    const held = [await admission.enter(() => true), await admission.enter(() => true)];
    for (let i = 0; i < 48; i++) void admission.enter(() => true);
    // 2 admitting + 48 queued ahead, at 0.1 per ms: 500 ms.
    expect(admission.retryHint()).toBe(500);
    for (let i = 0; i < 300; i++) void admission.enter(() => true);
    // 350 ahead: 3.5 s, growing with the queue.
    expect(admission.retryHint()).toBe(3_500);
    for (const release of held) release?.();
  });

  it('never goes below retryAfterMs nor above MAX_RETRY_HINT_MS', async () => {
    const fast = admissionAt({ concurrency: 1, queue: 10, retryAfterMs: 1_000 });
    for (let i = 0; i < 10; i++) await admitAndEnd(fast.admission, fast.clock, 1);
    void fast.admission.enter(() => true);
    expect(fast.admission.retryHint()).toBe(1_000);

    const slow = admissionAt({ concurrency: 1, queue: 100_000, retryAfterMs: 1_000 });
    for (let i = 0; i < 10; i++) await admitAndEnd(slow.admission, slow.clock, 1_000);
    for (let i = 0; i < 1_000; i++) void slow.admission.enter(() => true);
    expect(slow.admission.retryHint()).toBe(MAX_RETRY_HINT_MS);
  });

  it('refuses with the grown hint once the queue is full', async () => {
    const { admission, clock } = admissionAt({ concurrency: 1, queue: 20, retryAfterMs: 50 });
    for (let i = 0; i < 10; i++) await admitAndEnd(admission, clock, 100);
    void admission.enter(() => true);
    for (let i = 0; i < 20; i++) void admission.enter(() => true);
    const refusal = await admission.enter(() => true).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(Overloaded);
    // 21 ahead at one per 100 ms.
    expect((refusal as Overloaded).retryAfterMs).toBe(2_100);
  });
});
