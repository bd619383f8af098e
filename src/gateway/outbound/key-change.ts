/**
 * One user key's part of a presence diff, and the net effect of several of them.
 *
 * A socket's view holds, per user key, the metas it was sent. Phoenix clients apply a diff's
 * joins (by `phx_ref`, a known ref replaced) and then its leaves (by ref). Between two flushes a
 * socket can be owed several diffs for one key; {@link PendingKey} folds them into one, such
 * that applying the folded diff to the socket's view gives exactly the view that applying them
 * one by one gives, but for `phx_ref_prev`: an update whose predecessor the socket never saw names
 * what the socket holds instead (see withPrevHeld). It relies on what the tracker guarantees a
 * synced view: a ref joins only when the view does not hold it (a new connection, an update's new
 * ref, a replica back up) and leaves only when it does. So a join then a leave of one ref cancel
 * out, and a leave then a join of one ref (a replica down, then up) is just the join (a leave
 * after that is written again). A device's entry taken over with the same meta (its ref does not
 * change, src/gateway/outbound/wire-refs.ts) never reaches this fold: the tracker reports the old
 * entry's leave and the new one's join in one change, and changesByTopic drops both.
 */
import type { WireMeta } from '../../domain/client-protocol.js';

/** A key's joins and leaves as one tracker change made them: shared by every socket it reaches. */
export class KeyChange {
  #joinsJson: string | undefined;
  #leavesJson: string | undefined;
  #keyJson: string | undefined;

  constructor(
    readonly key: string,
    readonly joins: readonly WireMeta[],
    readonly leaves: readonly WireMeta[],
  ) {}

  /** `JSON.stringify(key)`, encoded once for every socket. */
  get keyJson(): string {
    this.#keyJson ??= JSON.stringify(this.key);
    return this.#keyJson;
  }

  /** The joined metas as JSON array items (no brackets), encoded once for every socket. */
  get joinsJson(): string {
    this.#joinsJson ??= metasJson(this.joins);
    return this.#joinsJson;
  }

  get leavesJson(): string {
    this.#leavesJson ??= metasJson(this.leaves);
    return this.#leavesJson;
  }
}

/** Several of a key's changes folded into one, for one socket (see the module comment). */
export class PendingKey {
  readonly joins = new Map<string, WireMeta>();
  readonly leaves = new Map<string, WireMeta>();
  /**
   * Joins of refs the socket still holds: a leave of them was owed and the join took it back (a
   * replica down, then up). A later leave of one must still be written.
   */
  private readonly held = new Set<string>();
  /** Refs whose join was cancelled by their leave → the `phx_ref_prev` that join carried. */
  private readonly cancelled = new Map<string, string | undefined>();

  constructor(readonly key: string) {}

  static of(change: KeyChange): PendingKey {
    const pending = new PendingKey(change.key);
    pending.add(change);
    return pending;
  }

  /**
   * Folds in the next change. A change's joins and leaves never share a ref, so its leaves can be
   * taken first: an update's join then finds the ref it replaces already cancelled.
   */
  add(change: KeyChange): void {
    for (const meta of change.leaves) {
      const ref = meta.phx_ref;
      const joined = this.joins.get(ref);
      if (joined === undefined || this.held.delete(ref)) this.leaves.set(ref, meta);
      else {
        // What that join replaced, if the socket holds it (its leave is owed here too).
        const prev = joined.phx_ref_prev;
        this.cancelled.set(ref, prev !== undefined && this.leaves.has(prev) ? prev : undefined);
      }
      this.joins.delete(ref);
    }
    for (const meta of change.joins) {
      const ref = meta.phx_ref;
      if (this.leaves.delete(ref)) this.held.add(ref);
      this.joins.set(ref, this.withPrevHeld(meta));
    }
  }

  /**
   * An update of a meta the socket never saw (its join was cancelled) names, as `phx_ref_prev`,
   * the meta the socket does hold (what that join replaced), or nothing when it replaced nothing:
   * a client pairs an update with what it holds, and a fresh connection updated within the window
   * reaches it as a join.
   */
  private withPrevHeld(meta: WireMeta): WireMeta {
    const prev = meta.phx_ref_prev;
    if (prev === undefined || !this.cancelled.has(prev)) return meta;
    const held = this.cancelled.get(prev);
    const { phx_ref_prev: _unseen, ...rest } = meta;
    return (held === undefined ? rest : { ...rest, phx_ref_prev: held }) as WireMeta;
  }

  /** Refs owed as joins that the socket does not hold. */
  newRefs(): Set<string> {
    const refs = new Set<string>();
    for (const ref of this.joins.keys()) if (!this.held.has(ref)) refs.add(ref);
    return refs;
  }

  get keyJson(): string {
    return JSON.stringify(this.key);
  }

  get joinsJson(): string {
    return metasJson([...this.joins.values()]);
  }

  get leavesJson(): string {
    return metasJson([...this.leaves.values()]);
  }
}

/** What a socket is owed for one key: one shared change, or several folded. */
export type OwedKey = KeyChange | PendingKey;

/** How what a socket holds of a key differs from the tracker while `owed` waits. */
export interface OwedDifference {
  /** Refs it is owed as joins and does not hold. */
  readonly joined: ReadonlySet<string>;
  /** Metas it is owed as leaves: it still holds them. */
  readonly left: readonly WireMeta[];
}

export function owedDifference(owed: OwedKey): OwedDifference {
  if (owed instanceof PendingKey)
    return { joined: owed.newRefs(), left: [...owed.leaves.values()] };
  return { joined: new Set(owed.joins.map((m) => m.phx_ref)), left: owed.leaves };
}

function metasJson(metas: readonly WireMeta[]): string {
  if (metas.length === 0) return '';
  return JSON.stringify(metas).slice(1, -1);
}
