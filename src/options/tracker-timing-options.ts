/**
 * The tracker's periods on the command line (the library's `timing`, src/runtime/replica-options.ts,
 * takes these and more). The down period's default and floor follow the broadcast period: see
 * src/options/timing.ts.
 */
import { MAX_TIMER_MS, optionGroup } from './option-spec.js';

export const TRACKER_TIMING_OPTIONS = optionGroup('Tracker timing', {
  broadcastPeriodMs: {
    type: 'integer',
    flag: '--broadcast-period-ms',
    default: 1_500,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'heartbeat/delta period',
  },
  downPeriodMs: {
    type: 'integer',
    flag: '--down-period-ms',
    // With the default broadcast period; it follows a longer one (timing.ts).
    default: 30_000,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    defaultDoc: '20 × broadcast, at least 30000',
    doc: 'silence before a replica is down; ≥ 12 × broadcast, as an idle node heartbeats every 11 broadcast periods',
  },
  permdownPeriodMs: {
    type: 'integer',
    flag: '--permdown-period-ms',
    default: 1_200_000,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'silence before its entries are deleted (> down)',
  },
  crashGraceMs: {
    type: 'integer',
    flag: '--crash-grace-ms',
    env: 'PRESENCE_CRASH_GRACE_MS',
    default: 30_000,
    min: 0,
    max: MAX_TIMER_MS,
    unit: 'ms',
    zero: "a down node's presences leave as soon as it is down",
    doc: 'how long a down node\'s presences stay visible for their devices to reconnect elsewhere and take them over silently, counted from the down (PROTOCOL.md, "Takeover")',
  },
});
