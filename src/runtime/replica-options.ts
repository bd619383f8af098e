/**
 * Options of a tracker replica, their defaults (Phoenix.Tracker's) and the checks Phoenix makes at
 * start: down ≥ 2 × broadcast, permdown > down. Errors name the option and the fix.
 */
import { InvalidOptionError } from '../errors.js';
import { positiveOption } from '../positive-option.js';

export interface ReplicaTimingOptions {
  /** Heartbeat period: deltas go out this often. @default 1500 (ms) */
  readonly broadcastPeriodMs?: number;
  /** Idle heartbeats skipped before an empty one is sent anyway. @default 10 */
  readonly maxSilentPeriods?: number;
  /** Silence (while our link is up) before a replica is down. @default 30000 (ms) */
  readonly downPeriodMs?: number;
  /** Silence before a replica's entries are deleted and it is forgotten. @default 1200000 (ms) */
  readonly permdownPeriodMs?: number;
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
  broadcastPeriodMs: 1_500,
  maxSilentPeriods: 10,
  downPeriodMs: 30_000,
  permdownPeriodMs: 1_200_000,
  clockSamplePeriods: 2,
  maxDeltaSizes: Object.freeze([100, 1_000, 10_000]),
  snapshotChunkSize: 10_000,
  transferWindowParts: 8,
});

export function resolveTiming(options: ReplicaTimingOptions = {}): ResolvedTimingOptions {
  const broadcastPeriodMs = positiveOption(
    'broadcastPeriodMs',
    options.broadcastPeriodMs ?? DEFAULT_TIMING.broadcastPeriodMs,
  );
  const downPeriodMs = positiveOption(
    'downPeriodMs',
    options.downPeriodMs ?? DEFAULT_TIMING.downPeriodMs,
  );
  const permdownPeriodMs = positiveOption(
    'permdownPeriodMs',
    options.permdownPeriodMs ?? DEFAULT_TIMING.permdownPeriodMs,
  );
  if (downPeriodMs < 2 * broadcastPeriodMs) {
    throw new InvalidOptionError(
      `downPeriodMs (${downPeriodMs}) must be at least 2 × broadcastPeriodMs (${2 * broadcastPeriodMs}): raise the down period or shorten the broadcast period`,
    );
  }
  if (permdownPeriodMs <= downPeriodMs) {
    throw new InvalidOptionError(
      `permdownPeriodMs (${permdownPeriodMs}) must be larger than downPeriodMs (${downPeriodMs})`,
    );
  }
  const maxDeltaSizes = options.maxDeltaSizes ?? DEFAULT_TIMING.maxDeltaSizes;
  if (maxDeltaSizes.length === 0) throw new InvalidOptionError('maxDeltaSizes must not be empty');
  for (const size of maxDeltaSizes) positiveOption('maxDeltaSizes[]', size);
  return Object.freeze({
    broadcastPeriodMs,
    downPeriodMs,
    permdownPeriodMs,
    maxSilentPeriods: positiveOption(
      'maxSilentPeriods',
      options.maxSilentPeriods ?? DEFAULT_TIMING.maxSilentPeriods,
    ),
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
