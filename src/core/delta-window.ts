/**
 * A delta: what one replica did in the window of its counters (from, to].
 *
 * Every operation of a replica consumes one counter (track, untrack, update), so "context = k"
 * means every operation ≤ k has been applied, and a window whose `from` is above our context is a
 * gap we can detect. Because only the owner writes its entries, a window carries its removes
 * explicitly: the dots removed in the window (whenever they were added), applied by lookup.
 */
import type { EntryData } from './entry.js';
import type { ReplicaRef } from './replica-ref.js';

export interface DeltaWindow {
  readonly replica: ReplicaRef;
  /** Exclusive start: the receiver must have applied everything up to here. */
  readonly from: number;
  /** Inclusive end: the receiver's context for this replica after applying. */
  readonly to: number;
  /** Entries added in the window and still alive at `to`, in counter order. */
  readonly adds: readonly EntryData[];
  /** Counters of entries removed in the window (including ones added in it), no repeats. */
  readonly removes: readonly number[];
}

export function emptyWindow(replica: ReplicaRef, at: number): DeltaWindow {
  return { replica, from: at, to: at, adds: [], removes: [] };
}

/** Adds and removes carried: the Phoenix delta size (values + tombstone dots). */
export function windowSize(window: DeltaWindow): number {
  return window.adds.length + window.removes.length;
}

export function isEmptyWindow(window: DeltaWindow): boolean {
  return window.to <= window.from;
}

/**
 * Joins two windows of the same replica into one covering both. Fails when they are not
 * contiguous (a gap between them), because nothing could then describe the missing operations.
 */
export function mergeWindows(
  older: DeltaWindow,
  newer: DeltaWindow,
): { ok: true; window: DeltaWindow } | { ok: false; reason: 'not-contiguous' } {
  if (newer.from < older.from) return mergeWindows(newer, older);
  if (newer.from > older.to) return { ok: false, reason: 'not-contiguous' };
  if (newer.to <= older.to) return { ok: true, window: older };
  const removed = new Set(newer.removes);
  const adds = older.adds.filter((entry) => !removed.has(entry.counter));
  for (const entry of newer.adds) if (entry.counter > older.to) adds.push(entry);
  for (const counter of older.removes) removed.add(counter);
  return {
    ok: true,
    window: { replica: older.replica, from: older.from, to: newer.to, adds, removes: [...removed] },
  };
}

/**
 * Keeps only what a receiver at `known` lacks: adds above it. Removes stay (the receiver may hold
 * any of them). Used when a window overlaps what a transfer requester already has.
 */
export function trimWindow(window: DeltaWindow, known: number): DeltaWindow {
  if (known <= window.from) return window;
  const adds = window.adds.filter((entry) => entry.counter > known);
  return { replica: window.replica, from: known, to: window.to, adds, removes: window.removes };
}
