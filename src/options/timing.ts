/**
 * The durations that follow the tracker's timing, in one place: what the down period must be for
 * a given broadcast period, and how the fixed durations of the rest of the server (leave grace,
 * offline delay, ownership overlap, owner warm-up, batch window, the event-loop slices) relate to
 * it. Each is derived here from the periods, or checked against them by {@link timingProblems}
 * (createPresenceServer logs each problem at start: a working but doubtful setting).
 *
 * Every relation comes from one fact: a change made on one node reaches the others at their next
 * broadcast (a broadcast period, plus delivery), and an idle node heartbeats only every
 * `maxSilentPeriods + 1` periods.
 */
import { BACKEND_OPTIONS } from './backend-options.js';
import { PRESENCE_OPTIONS } from './presence-options.js';
import { TRACKER_TIMING_OPTIONS } from './tracker-timing-options.js';

/** The down period's floor: a long GC pause must not take a healthy node for down. */
export const FLOOR_DOWN_PERIOD_MS = TRACKER_TIMING_OPTIONS.options.downPeriodMs.default;

/**
 * The longest one event-loop turn spends on a big change before it yields, so a heartbeat timer
 * never waits much behind it: the fan-out's default slice and the outboxes' flush slice.
 */
export const EVENT_LOOP_SLICE_MS = PRESENCE_OPTIONS.options.fanOutSliceMs.default;

/** Broadcast periods a change takes, at most, to be seen by every node (send, deliver, apply). */
export const PROPAGATION_PERIODS = 3;

/** The ownership overlap's floor (and its value with the default broadcast period). */
const FLOOR_OWNERSHIP_OVERLAP_MS = 5_000;

/**
 * The longest a healthy idle replica stays quiet: it skips `maxSilentPeriods` ticks, then
 * heartbeats on the next one.
 */
export function idleHeartbeatIntervalMs(broadcastPeriodMs: number, maxSilentPeriods: number) {
  return (maxSilentPeriods + 1) * broadcastPeriodMs;
}

/**
 * The shortest down period that never takes a healthy idle replica for down: its idle heartbeat
 * interval plus one broadcast period of slack for late timers and delivery.
 */
export function minimumDownPeriodMs(broadcastPeriodMs: number, maxSilentPeriods: number) {
  return idleHeartbeatIntervalMs(broadcastPeriodMs, maxSilentPeriods) + broadcastPeriodMs;
}

/**
 * The default down period: Phoenix's derivation (broadcast × maxSilentPeriods × 2, 30 s with the
 * default periods), never below the minimum, and never below 30 s, so that a short broadcast
 * period alone does not make failure detection twitchy under a long GC pause.
 */
export function defaultDownPeriodMs(broadcastPeriodMs: number, maxSilentPeriods: number) {
  return Math.max(
    FLOOR_DOWN_PERIOD_MS,
    broadcastPeriodMs * maxSilentPeriods * 2,
    minimumDownPeriodMs(broadcastPeriodMs, maxSilentPeriods),
  );
}

/** How long a change takes to reach every node, at most. */
export function propagationMs(broadcastPeriodMs: number): number {
  return PROPAGATION_PERIODS * broadcastPeriodMs;
}

/**
 * How long a node still acts on the users it owned before the candidates changed: longer than
 * nodes take to see the same change. 5 s, or the propagation time of a longer broadcast period.
 */
export function ownershipOverlapMs(broadcastPeriodMs: number): number {
  return Math.max(FLOOR_OWNERSHIP_OVERLAP_MS, propagationMs(broadcastPeriodMs));
}

/** What a started node needs before it knows the cluster: clock samples, then a transfer. */
export function minimumOwnerWarmUpMs(timing: {
  readonly broadcastPeriodMs: number;
  readonly clockSamplePeriods: number;
  readonly transferTimeoutMs: number;
}): number {
  return (timing.clockSamplePeriods + 1) * timing.broadcastPeriodMs + timing.transferTimeoutMs;
}

/** The server's durations and the tracker's timing they are checked against. */
export interface ServerTiming {
  readonly broadcastPeriodMs: number;
  readonly clockSamplePeriods: number;
  readonly transferTimeoutMs: number;
  readonly leaveGraceMs?: number | undefined;
  readonly offlineDelayMs?: number | undefined;
  readonly ownerWarmUpMs?: number | undefined;
  readonly maxBatchDelayMs?: number | undefined;
  readonly fanOutSliceMs?: number | undefined;
}

/**
 * The durations that do not fit the tracker's timing, each naming the options and the fix; none
 * with the defaults. They work, but not as meant: e.g. a leave grace shorter than a change takes
 * to cross the cluster shows a device moving between nodes as offline and back.
 */
export function timingProblems(timing: ServerTiming): string[] {
  const { broadcastPeriodMs } = timing;
  const presence = PRESENCE_OPTIONS.options;
  const backend = BACKEND_OPTIONS.options;
  const crossing = propagationMs(broadcastPeriodMs);
  const problems: string[] = [];
  const leaveGraceMs = timing.leaveGraceMs ?? presence.leaveGraceMs.default;
  if (leaveGraceMs > 0 && leaveGraceMs < crossing) {
    problems.push(
      `leaveGraceMs (${leaveGraceMs}) is shorter than a reconnect on another node takes to be seen (${PROPAGATION_PERIODS} × broadcastPeriodMs = ${crossing} ms): raise it to ${crossing} or more, or 0 to turn the grace off`,
    );
  }
  const offlineDelayMs = timing.offlineDelayMs ?? backend.offlineDelayMs.default;
  if (offlineDelayMs < crossing) {
    problems.push(
      `offlineDelayMs (${offlineDelayMs}) is shorter than a device moving between nodes takes to be seen (${crossing} ms): webhooks and last seen will see it go offline; raise it to ${crossing} or more`,
    );
  }
  const warmUpMs = timing.ownerWarmUpMs ?? backend.ownerWarmUpMs.default;
  const minimumWarmUpMs = minimumOwnerWarmUpMs(timing);
  if (warmUpMs < minimumWarmUpMs) {
    problems.push(
      `ownerWarmUpMs (${warmUpMs}) is shorter than a started node takes to get the cluster's state ((clockSamplePeriods + 1) × broadcastPeriodMs + transferTimeoutMs = ${minimumWarmUpMs} ms): raise it`,
    );
  }
  const maxBatchDelayMs = timing.maxBatchDelayMs ?? presence.maxBatchDelayMs.default;
  if (maxBatchDelayMs > broadcastPeriodMs) {
    problems.push(
      `maxBatchDelayMs (${maxBatchDelayMs}) is longer than broadcastPeriodMs (${broadcastPeriodMs}): a socket's diffs would wait longer than the tracker takes to send them; lower it`,
    );
  }
  const sliceMs = timing.fanOutSliceMs ?? presence.fanOutSliceMs.default;
  if (sliceMs > broadcastPeriodMs / 2) {
    problems.push(
      `fanOutSliceMs (${sliceMs}) holds the event loop for more than half a broadcast period (${broadcastPeriodMs} ms): heartbeats would be late; lower it`,
    );
  }
  return problems;
}
