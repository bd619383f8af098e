/**
 * The crash graces of a replica's down peers: while one runs, the peer's presences with a
 * lineage stay visible (held by the core state), so a device back on any node takes its entry
 * over silently; when it ends they leave, `RELEASE_SLICE` per event-loop turn (a big node's users
 * do not leave in one burst of fan-out). A peer retired (permdown) during its grace, or one
 * learned only from a held transfer part, is forgotten when the grace ends.
 *
 * The timers and bookkeeping only: what to release and how is the state's (`releaseHeld`,
 * `replicaPermdown`), reported through the replica (tracker-replica.ts).
 */
import { type PresenceChange, type ReplicaRef, replicaKey } from '../core/index.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/** Held presences released per event-loop turn when a crash grace ends. */
export const RELEASE_SLICE = 500;

export interface CrashGraceHooks {
  /** Releases up to `limit` of `ref`'s held presences; `more` while some are left. */
  releaseHeld(ref: ReplicaRef, limit: number): { change: PresenceChange; more: boolean };
  /** Forgets `ref` (its grace over). */
  permdown(ref: ReplicaRef): PresenceChange;
  /** A change to report to the replica's listeners. */
  report(change: PresenceChange): void;
}

export class CrashGraces {
  /** By replica key: the timer of the next step, and when the grace ends. */
  private readonly graces = new Map<string, { handle: unknown; endsAt: number }>();
  /** Learned from a held part (our health does not know them): nothing else would retire them. */
  private readonly learned = new Set<string>();
  /** Retired while in their grace: forgotten when it ends (their held entries stay until). */
  private readonly retired = new Map<string, ReplicaRef>();

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly logger: Logger,
    private readonly hooks: CrashGraceHooks,
  ) {}

  /** True while `key`'s grace runs or its presences are being released. */
  has(key: string): boolean {
    return this.graces.has(key);
  }

  /** Starts (or restarts) `ref`'s grace of `graceMs`. */
  start(ref: ReplicaRef, graceMs: number): void {
    const key = replicaKey(ref);
    this.end(key);
    this.graces.set(key, {
      handle: this.timers.setTimeout(() => this.releaseSlice(ref), graceMs),
      endsAt: this.clock.now() + graceMs,
    });
  }

  /** `ref`'s grace started from a held part: forget it when the grace ends. */
  startLearned(ref: ReplicaRef, graceMs: number): void {
    this.start(ref, graceMs);
    this.learned.add(replicaKey(ref));
  }

  /** `ref` was retired during its grace: forget it once the grace ends. */
  retireAfter(ref: ReplicaRef): void {
    this.retired.set(replicaKey(ref), ref);
  }

  /** Ends `key`'s grace now without releasing anything (the replica is back, or gone). */
  end(key: string): void {
    const grace = this.graces.get(key);
    if (grace !== undefined) this.timers.clearTimeout(grace.handle);
    this.graces.delete(key);
    this.retired.delete(key);
    this.learned.delete(key);
  }

  /** What is left of each running grace at `now`, by replica key (for a transfer's held parts). */
  left(now: number): Map<string, number> {
    const left = new Map<string, number>();
    for (const [key, grace] of this.graces) {
      if (grace.endsAt > now) left.set(key, grace.endsAt - now);
    }
    return left;
  }

  /** Stops every grace (the replica stops). */
  clear(): void {
    for (const grace of this.graces.values()) this.timers.clearTimeout(grace.handle);
    this.graces.clear();
    this.learned.clear();
    this.retired.clear();
  }

  private releaseSlice(ref: ReplicaRef): void {
    const key = replicaKey(ref);
    if (!this.graces.has(key)) return;
    try {
      const { change, more } = this.hooks.releaseHeld(ref, RELEASE_SLICE);
      this.hooks.report(change);
      if (more) {
        this.graces.set(key, {
          handle: this.timers.setTimeout(() => this.releaseSlice(ref), 0),
          endsAt: this.clock.now(),
        });
        return;
      }
    } catch (err) {
      this.logger.error({ err, replica: ref }, 'releasing held presences failed');
    }
    this.graces.delete(key);
    const retired = this.retired.get(key);
    this.retired.delete(key);
    if (retired !== undefined) this.hooks.report(this.hooks.permdown(retired));
    else if (this.learned.delete(key)) this.hooks.report(this.hooks.permdown(ref));
  }
}
