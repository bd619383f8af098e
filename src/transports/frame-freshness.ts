/**
 * The freshness check of the node bus (docs/cluster-wire-format.md, "Replays"): a signed frame is
 * accepted only if its signed send time is
 *
 * - not before the receiving bus started: nothing recorded before a (re)start is accepted by the
 *   restarted node, whatever the sender (so a delivery or a graph edge is never shown twice by
 *   one node name, and a dead node's recorded frames raise no ghost on a node started later);
 * - within the replay window of the receiver's clock, either way: this bounds how long any
 *   recorded frame stays usable against a node that forgot its sender (the replay guard's per
 *   sender memory, replay-guard.ts, holds the rest).
 *
 * The window is a few down periods: long enough for clock skew between honest nodes and a slow
 * Redis, short next to how long a recording is useful. Clocks must agree (NTP) well within it.
 */

/** The replay window, in down periods. */
export const REPLAY_WINDOW_DOWN_PERIODS = 2;

/** The replay window of a cluster whose replicas use `downPeriodMs`. */
export function replayWindowMs(downPeriodMs: number): number {
  return REPLAY_WINDOW_DOWN_PERIODS * downPeriodMs;
}

/** With the replicas' default down period (30 s, src/runtime/replica-options.ts): 60 s. */
export const DEFAULT_REPLAY_WINDOW_MS = replayWindowMs(30_000);

export type Freshness = 'fresh' | 'before-start' | 'too-old' | 'from-the-future';

export function frameFreshness(
  sentAtMs: number,
  nowMs: number,
  startedAtMs: number,
  windowMs: number,
): Freshness {
  if (sentAtMs < startedAtMs) return 'before-start';
  if (sentAtMs < nowMs - windowMs) return 'too-old';
  if (sentAtMs > nowMs + windowMs) return 'from-the-future';
  return 'fresh';
}
