/**
 * Transfers: what a replica sends to one that is behind (Phoenix `extract`), per replica.
 *
 * For each replica the requester knows and lags on, the smallest buffered delta window that covers
 * the lag, else that replica's full snapshot split into bounded chunks. Replicas the requester
 * does not know are left out (it would ignore them: a permdowned replica must not come back
 * through a third party), and so are the requester's own rows (it is their author).
 *
 * Held parts: a down replica in its crash grace is in no clock, so a replica that starts during
 * the grace would never learn its held entries, and a device reconnecting there would not take
 * its entry over. The extractor sends such a replica's entries (chunked) with the grace it has
 * left; a requester that does not know the replica stores them as a down replica's and holds them
 * for that long (PresenceState.mergeHeld), one that knows it ignores them.
 */
import type { Context } from './causal-context.js';
import { type DeltaWindow, isEmptyWindow, mergeWindows, trimWindow } from './delta-window.js';
import type { EntryData } from './entry.js';
import type { ReplicaKey, ReplicaRef } from './replica-ref.js';
import type { ReplicaSlot } from './replica-slot.js';

export interface WindowPart {
  readonly kind: 'window';
  readonly window: DeltaWindow;
}

export interface SnapshotPart {
  readonly kind: 'snapshot';
  /** Identifies one snapshot of one replica; its chunks share it. */
  readonly transferId: string;
  readonly replica: ReplicaRef;
  /** The entries are the replica's live entries as of this counter. */
  readonly upTo: number;
  readonly chunk: number;
  readonly chunkCount: number;
  readonly entries: readonly EntryData[];
}

/** A down replica's entries, sent while it is in its crash grace (see the top of this file). */
export interface HeldPart {
  readonly kind: 'held';
  /** Identifies one held snapshot of one replica; its chunks share it. */
  readonly transferId: string;
  readonly replica: ReplicaRef;
  /** The entries are the replica's as of this counter. */
  readonly upTo: number;
  readonly chunk: number;
  readonly chunkCount: number;
  /** What is left of the replica's crash grace at the extractor, in ms (the runtime's time). */
  readonly graceLeftMs: number;
  readonly entries: readonly EntryData[];
}

export type TransferPart = WindowPart | SnapshotPart | HeldPart;

export const DEFAULT_SNAPSHOT_CHUNK_SIZE = 10_000;

/** The extracting replica's own entries: they live in its connection index, not a dot index. */
export interface OwnEntries {
  /** Operations not broadcast yet. */
  readonly unsent: DeltaWindow;
  readonly count: number;
  entries(): Iterable<EntryData>;
}

export function extractFor(
  slots: Iterable<ReplicaSlot>,
  requester: ReplicaKey,
  requesterContext: Context,
  transferId: string,
  own: OwnEntries,
  chunkSize: number = DEFAULT_SNAPSHOT_CHUNK_SIZE,
): TransferPart[] {
  const ownUnsent = own.unsent;
  const parts: TransferPart[] = [];
  for (const slot of slots) {
    if (slot.key === requester) continue;
    const known = requesterContext.get(slot.key);
    if (known === undefined || known >= slot.context) continue;
    let window = slot.generations.windowFor(known);
    if (slot.ref === ownUnsent.replica && !isEmptyWindow(ownUnsent)) {
      // Our buffered windows end where the unsent operations begin: send both, so a transfer
      // always brings the requester up to our current context.
      if (window) {
        const joined = mergeWindows(window, ownUnsent);
        window = joined.ok ? joined.window : undefined;
      } else if (ownUnsent.from <= known) window = ownUnsent;
    }
    if (window) {
      parts.push({ kind: 'window', window: trimWindow(window, known) });
    } else {
      const isOwn = slot.ref === ownUnsent.replica;
      const entries = isOwn ? undefined : entriesUpToContext(slot);
      const count = entries?.length ?? own.count;
      parts.push(
        ...snapshotChunks(
          slot,
          count,
          entries ?? own.entries(),
          `${transferId}/${slot.key}`,
          chunkSize,
        ),
      );
    }
  }
  return parts;
}

/**
 * A snapshot lists the entries as of `upTo` (the slot's context), and no more: a snapshot of that
 * replica still being received can have added entries beyond the context already. Forwarded, they
 * would reach a requester with a context that never covered them, and what a third replica learns
 * would depend on the order it merged its sources in (merge would not commute). They come with the
 * next transfer once the context covers them.
 */
function entriesUpToContext(slot: ReplicaSlot): EntryData[] {
  const entries: EntryData[] = [];
  for (const entry of slot.dots.values()) if (entry.counter <= slot.context) entries.push(entry);
  return entries;
}

/**
 * Held parts of the down replicas in `graceLeftMs` (by key: what is left of each one's crash
 * grace) that hold entries: every entry up to the replica's context, chunked. Never the
 * requester's own, never a replica that is up or releasing.
 */
export function heldPartsFor(
  slots: Iterable<ReplicaSlot>,
  requester: ReplicaKey,
  graceLeftMs: ReadonlyMap<ReplicaKey, number>,
  transferId: string,
  chunkSize: number = DEFAULT_SNAPSHOT_CHUNK_SIZE,
): HeldPart[] {
  const parts: HeldPart[] = [];
  for (const slot of slots) {
    const left = graceLeftMs.get(slot.key);
    if (left === undefined || left <= 0 || slot.key === requester) continue;
    if (slot.up || slot.releasing || !holdsAny(slot)) continue;
    const entries = entriesUpToContext(slot);
    for (const chunk of snapshotChunks(
      slot,
      entries.length,
      entries,
      `${transferId}/held/${slot.key}`,
      chunkSize,
    )) {
      parts.push({ ...chunk, kind: 'held', graceLeftMs: Math.ceil(left) });
    }
  }
  return parts;
}

function holdsAny(slot: ReplicaSlot): boolean {
  for (const entry of slot.dots.values()) {
    if (entry.group !== undefined && !entry.released) return true;
  }
  return false;
}

function snapshotChunks(
  slot: ReplicaSlot,
  count: number,
  all: Iterable<EntryData>,
  transferId: string,
  chunkSize: number,
): SnapshotPart[] {
  const size = Math.max(1, chunkSize);
  const chunkCount = Math.max(1, Math.ceil(count / size));
  const chunks: SnapshotPart[] = [];
  let entries: EntryData[] = [];
  const flush = () => {
    chunks.push({
      kind: 'snapshot',
      transferId,
      replica: slot.ref,
      upTo: slot.context,
      chunk: chunks.length,
      chunkCount,
      entries,
    });
    entries = [];
  };
  for (const entry of all) {
    entries.push(entry);
    if (entries.length === size) flush();
  }
  if (entries.length > 0 || chunks.length === 0) flush();
  return chunks;
}
