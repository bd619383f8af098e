/**
 * Transfers: what a replica sends to one that is behind (Phoenix `extract`), per replica.
 *
 * For each replica the requester knows and lags on, the smallest buffered delta window that covers
 * the lag, else that replica's full snapshot split into bounded chunks. Replicas the requester
 * does not know are left out (it would ignore them: a permdowned replica must not come back
 * through a third party), and so are the requester's own rows (it is their author).
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

export type TransferPart = WindowPart | SnapshotPart;

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
