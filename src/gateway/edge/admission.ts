/**
 * Admission control of new connections: at most `concurrency` connections are being admitted at
 * once (authentication, graph lookup, tracking, subscriptions, the first `presence_state`), the
 * next `queue` wait their turn in arrival order, and any beyond that are refused at once with
 * `overloaded` and a retry hint, so a reconnect storm (a node died and its clients all come here)
 * is served at the pace the node can sustain instead of every handshake slowing down together
 * until clients time out and retry, which only adds load.
 *
 * A waiting handshake whose client went away meanwhile is skipped when its turn comes: a client
 * that gave up does not cost the work of admitting it.
 *
 * The retry hint grows with the queue: it is how long the handshakes ahead would take to be
 * admitted at the pace of the last admissions (never less than `retryAfterMs`, at most
 * `MAX_RETRY_HINT_MS`), so a client refused in a storm comes back when there is room, not into
 * the same full queue a second later.
 */

import { positiveOption } from '../../domain/positive-option.js';
import { InvalidOptionError } from '../../errors.js';

export interface AdmissionOptions {
  /** Connections admitted at once (between the handshake and the first state). @default 64 */
  readonly concurrency?: number;
  /** Handshakes waiting for a slot; more are refused with `overloaded`. @default 1024 */
  readonly queue?: number;
  /**
   * The least retry hint sent with `overloaded` (`data.retryAfterMs`); it grows with the queue
   * (see above), and is jittered ±50 % so refused clients do not come back together.
   * @default 1000 (ms)
   */
  readonly retryAfterMs?: number;
}

export const DEFAULT_ADMISSION = Object.freeze({
  concurrency: 64,
  queue: 1_024,
  retryAfterMs: 1_000,
});

export function resolveAdmissionOptions(
  options: AdmissionOptions | undefined,
): Required<AdmissionOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidOptionError(
      'admission must be an object { concurrency, queue, retryAfterMs }',
    );
  }
  const queue = options?.queue ?? DEFAULT_ADMISSION.queue;
  if (!Number.isInteger(queue) || queue < 0) {
    throw new InvalidOptionError(`admission.queue must be an integer ≥ 0, got ${String(queue)}`);
  }
  return {
    concurrency: positiveOption(
      'admission.concurrency',
      options?.concurrency ?? DEFAULT_ADMISSION.concurrency,
    ),
    queue,
    retryAfterMs: positiveOption(
      'admission.retryAfterMs',
      options?.retryAfterMs ?? DEFAULT_ADMISSION.retryAfterMs,
    ),
  };
}

/** Thrown by {@link Admission.enter} when the queue is full. */
export class Overloaded extends Error {
  constructor(readonly retryAfterMs: number) {
    super('overloaded');
  }
}

/** Releases an admission slot; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  readonly stillWanted: () => boolean;
  readonly resolve: (release: Release | undefined) => void;
}

export interface AdmissionStats {
  /** Connections being admitted now. */
  readonly admitting: number;
  /** Handshakes waiting for a slot now. */
  readonly queued: number;
  /** Handshakes refused with `overloaded` since start. */
  readonly refused: number;
  /** Waiting handshakes dropped because their client went away, since start. */
  readonly abandoned: number;
}

/** The longest retry hint: about the SDK's longest reconnect window. */
export const MAX_RETRY_HINT_MS = 30_000;
/** Admissions whose times give the pace (a ring of the last ones). */
const PACE_SAMPLES = 64;

export class Admission {
  private admitting = 0;
  /** When the last PACE_SAMPLES admissions ended (a ring; `ended` counts every one). */
  private readonly endedAt = new Float64Array(PACE_SAMPLES);
  private ended = 0;
  private readonly waiting: Waiter[] = [];
  /** Index of the first live entry of `waiting` (a FIFO without O(n) shifts). */
  private head = 0;
  private refused = 0;
  private abandoned = 0;

  constructor(
    private readonly options: Required<AdmissionOptions>,
    /** The server's clock, in ms: the pace of admissions. */
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  stats(): AdmissionStats {
    return {
      admitting: this.admitting,
      queued: this.waiting.length - this.head,
      refused: this.refused,
      abandoned: this.abandoned,
    };
  }

  /**
   * Waits for a slot. Resolves with its release, or with undefined when `stillWanted()` said no
   * by the time the slot came (the client went away: nothing to do). Throws {@link Overloaded}
   * at once when the queue is full.
   */
  enter(stillWanted: () => boolean): Promise<Release | undefined> {
    if (this.admitting < this.options.concurrency && this.head === this.waiting.length) {
      return Promise.resolve(this.take());
    }
    const queued = this.waiting.length - this.head;
    if (queued >= this.options.queue) {
      this.refused++;
      return Promise.reject(new Overloaded(this.retryHint()));
    }
    return new Promise((resolve) => this.waiting.push({ stillWanted, resolve }));
  }

  private take(): Release {
    this.admitting++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.admitting--;
      this.endedAt[this.ended++ % PACE_SAMPLES] = this.now();
      this.next();
    };
  }

  private next(): void {
    while (this.admitting < this.options.concurrency && this.head < this.waiting.length) {
      const waiter = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as unknown as Waiter;
      if (this.head > 1_024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      if (!waiter.stillWanted()) {
        this.abandoned++;
        waiter.resolve(undefined);
        continue;
      }
      waiter.resolve(this.take());
    }
  }

  /**
   * The retry hint: the time the queue ahead would take at the pace of the last admissions (at
   * least `retryAfterMs`, at most MAX_RETRY_HINT_MS), jittered ±50 %.
   */
  retryHint(): number {
    const ahead = this.waiting.length - this.head + this.admitting;
    const perMs = this.pace();
    const drainMs = perMs > 0 ? ahead / perMs : 0;
    const hint = Math.min(MAX_RETRY_HINT_MS, Math.max(this.options.retryAfterMs, drainMs));
    return Math.max(1, Math.round(hint * (0.5 + this.random())));
  }

  /** Admissions per ms over the last PACE_SAMPLES (0 until two ended at different times). */
  private pace(): number {
    const samples = Math.min(this.ended, PACE_SAMPLES);
    if (samples < 2) return 0;
    const newest = this.endedAt[(this.ended - 1) % PACE_SAMPLES]!;
    const oldest = this.endedAt[(this.ended - samples) % PACE_SAMPLES]!;
    return newest > oldest ? (samples - 1) / (newest - oldest) : 0;
  }
}
