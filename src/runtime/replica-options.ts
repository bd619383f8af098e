/**
 * Options of a tracker replica, their defaults (Phoenix.Tracker's) and the checks made at start:
 * the down period outlasts an idle replica's heartbeat interval, permdown > down. Errors name the
 * option and the fix.
 */

import { positiveOption } from '../domain/positive-option.js';
import { InvalidOptionError } from '../errors.js';
import { TRACKER_TIMING_OPTIONS } from '../options/index.js';
import {
  defaultDownPeriodMs,
  idleHeartbeatIntervalMs,
  minimumDownPeriodMs,
} from '../options/timing.js';

const PERIODS = TRACKER_TIMING_OPTIONS.options;

export interface ReplicaTimingOptions {
  /** Heartbeat period: deltas go out this often. @default 1500 (ms) */
  readonly broadcastPeriodMs?: number;
  /** Idle heartbeats skipped before an empty one is sent anyway. @default 10 */
  readonly maxSilentPeriods?: number;
  /**
   * Silence (while our link is up) before a replica is down. At least the idle heartbeat interval
   * plus one broadcast period (`minimumDownPeriodMs`).
   * @default broadcastPeriodMs × maxSilentPeriods × 2 as Phoenix, at least 30000 (ms)
   */
  readonly downPeriodMs?: number;
  /** Silence before a replica's entries are deleted and it is forgotten. @default 1200000 (ms) */
  readonly permdownPeriodMs?: number;
  /**
   * How long a down replica's presences with a lineage stay visible (held) for their devices to
   * reconnect on another replica and take them over silently, counted from the down; then they
   * leave, in slices. 0: they leave at the down. @default 30000 (ms)
   */
  readonly crashGraceMs?: number;
  /** Heartbeats over which others' clocks are sampled before asking for transfers. @default 2 */
  readonly clockSamplePeriods?: number;
  /** How long to wait for a transfer's answer before asking again. @default 10 × broadcast */
  readonly transferTimeoutMs?: number;
  /** Sizes of the buffered delta generations. @default [100, 1000, 10000] */
  readonly maxDeltaSizes?: readonly number[];
  /** Entries per snapshot chunk in a transfer. @default 10000 */
  readonly snapshotChunkSize?: number;
  /**
   * Parts of a transfer answer in flight before the requester acknowledges them. Bounds what a
   * large answer piles up in the receiver's Redis pub/sub output buffer (8 × a 10,000-entry chunk
   * ≈ 6 MB, under Redis's default 8 MB soft limit). @default 8
   */
  readonly transferWindowParts?: number;
}

export type ResolvedTimingOptions = Readonly<Required<ReplicaTimingOptions>>;

export const DEFAULT_TIMING = Object.freeze({
  broadcastPeriodMs: PERIODS.broadcastPeriodMs.default,
  maxSilentPeriods: 10,
  permdownPeriodMs: PERIODS.permdownPeriodMs.default,
  crashGraceMs: PERIODS.crashGraceMs.default,
  clockSamplePeriods: 2,
  maxDeltaSizes: Object.freeze([100, 1_000, 10_000]),
  snapshotChunkSize: 10_000,
  transferWindowParts: 8,
});

// Where the down period's default and minimum come from: src/options/timing.ts, with the other
// durations that follow the broadcast period.
export { defaultDownPeriodMs, idleHeartbeatIntervalMs, minimumDownPeriodMs };

export function resolveTiming(options: ReplicaTimingOptions = {}): ResolvedTimingOptions {
  const broadcastPeriodMs = positiveOption(
    'broadcastPeriodMs',
    options.broadcastPeriodMs ?? DEFAULT_TIMING.broadcastPeriodMs,
  );
  const maxSilentPeriods = positiveOption(
    'maxSilentPeriods',
    options.maxSilentPeriods ?? DEFAULT_TIMING.maxSilentPeriods,
  );
  const downPeriodMs = positiveOption(
    'downPeriodMs',
    options.downPeriodMs ?? defaultDownPeriodMs(broadcastPeriodMs, maxSilentPeriods),
  );
  const permdownPeriodMs = positiveOption(
    'permdownPeriodMs',
    options.permdownPeriodMs ?? DEFAULT_TIMING.permdownPeriodMs,
  );
  const minimumDownMs = minimumDownPeriodMs(broadcastPeriodMs, maxSilentPeriods);
  if (downPeriodMs < minimumDownMs) {
    throw new InvalidOptionError(
      `downPeriodMs (${downPeriodMs}) is too short: an idle replica heartbeats only every (maxSilentPeriods + 1) × broadcastPeriodMs = ${idleHeartbeatIntervalMs(broadcastPeriodMs, maxSilentPeriods)} ms; raise downPeriodMs to ${minimumDownMs} or more, or lower broadcastPeriodMs or maxSilentPeriods`,
    );
  }
  if (permdownPeriodMs <= downPeriodMs) {
    throw new InvalidOptionError(
      `permdownPeriodMs (${permdownPeriodMs}) must be larger than downPeriodMs (${downPeriodMs}): raise permdownPeriodMs`,
    );
  }
  const crashGraceMs = options.crashGraceMs ?? DEFAULT_TIMING.crashGraceMs;
  if (
    !Number.isInteger(crashGraceMs) ||
    crashGraceMs < 0 ||
    crashGraceMs > PERIODS.crashGraceMs.max
  ) {
    throw new InvalidOptionError(
      `crashGraceMs (${crashGraceMs}) must be an integer from 0 to ${PERIODS.crashGraceMs.max} (ms); 0: a down replica's presences leave at once`,
    );
  }
  const maxDeltaSizes = options.maxDeltaSizes ?? DEFAULT_TIMING.maxDeltaSizes;
  if (maxDeltaSizes.length === 0) throw new InvalidOptionError('maxDeltaSizes must not be empty');
  for (const size of maxDeltaSizes) positiveOption('maxDeltaSizes[]', size);
  return Object.freeze({
    broadcastPeriodMs,
    downPeriodMs,
    permdownPeriodMs,
    crashGraceMs,
    maxSilentPeriods,
    clockSamplePeriods: positiveOption(
      'clockSamplePeriods',
      options.clockSamplePeriods ?? DEFAULT_TIMING.clockSamplePeriods,
    ),
    transferTimeoutMs: positiveOption(
      'transferTimeoutMs',
      options.transferTimeoutMs ?? 10 * broadcastPeriodMs,
    ),
    maxDeltaSizes: Object.freeze([...maxDeltaSizes]),
    snapshotChunkSize: positiveOption(
      'snapshotChunkSize',
      options.snapshotChunkSize ?? DEFAULT_TIMING.snapshotChunkSize,
    ),
    transferWindowParts: positiveOption(
      'transferWindowParts',
      options.transferWindowParts ?? DEFAULT_TIMING.transferWindowParts,
    ),
  });
}
