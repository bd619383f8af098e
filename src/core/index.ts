/** The pure tracker core: presence state, clocks, deltas, transfers and replica health. */
export * from './causal-context.js';
export * from './delta-generations.js';
export * from './delta-window.js';
export {
  type EntryData,
  LINEAGE_FIELD,
  lineageOf,
  type Meta,
  type Presence,
  phxRef,
  wireMeta,
} from './entry.js';
export type { PrefixCounts } from './prefix-tally.js';
export * from './presence-state.js';
export * from './replica-health.js';
export * from './replica-ref.js';
export type { ReplicaSlot } from './replica-slot.js';
export * from './transfer.js';
