/**
 * One tracked presence: `(topic, key, connection) → meta`, tagged with its dot (owning replica,
 * counter). Entries are immutable in what they say; an update replaces the entry with a new one
 * whose `prev` is the replaced counter (that becomes `phx_ref_prev` on the wire).
 *
 * The list pointers make the indexes intrusive: a key's entries and a connection's entries are
 * doubly/singly linked through the entries themselves, so one presence costs one object, not a
 * small collection per topic (memory budget: ≤ 500 bytes per presence at 1M).
 */
import type { ReplicaSlot } from './replica-slot.js';

/** Presence metadata as given by the app; `phx_ref`/`phx_ref_prev` are derived, never stored. */
export type Meta = Readonly<Record<string, unknown>>;

/**
 * The meta field naming a presence's lineage: `[id, since]`, set by its writer (the gateway: a
 * device's id across reconnects, and when this connection of it started, on the writer's wall
 * clock). Entries of one (topic, key, id) are one device: at most one of them is visible (see
 * PresenceState), so a reconnect on any replica takes the device's entry over. Absent: the entry
 * stands alone, as before lineages existed.
 */
export const LINEAGE_FIELD = 'phx_lineage';

/** The lineage id and start of a meta, when it has a well-formed one. */
export function lineageOf(meta: Meta): { id: string; since: number } | undefined {
  const value = meta[LINEAGE_FIELD];
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [id, since] = value as unknown[];
  if (typeof id !== 'string' || typeof since !== 'number' || !Number.isFinite(since)) {
    return undefined;
  }
  return { id, since };
}

/** What a presence is on the wire and in deltas. */
export interface EntryData {
  readonly topic: string;
  readonly key: string;
  readonly meta: Meta;
  /** The owning replica's counter for this entry (its dot with the replica). */
  readonly counter: number;
  /** Counter of the entry this one replaced by an update; 0 when it is a fresh track. */
  readonly prev: number;
}

/** A presence as read from the state or reported in a change. */
export interface Presence extends EntryData {
  readonly replica: ReplicaSlot;
}

export class Entry implements Presence {
  nextInKey: Entry | null = null;
  prevInKey: Entry | null = null;
  /** Next entry of the same local connection (only own entries have a connection). */
  nextOfConn: Entry | null = null;
  /** Linked in the topic index (visible) now. */
  visible = false;
  /** Held past its replica's crash grace: no longer eligible while that replica is down. */
  released = false;
  /**
   * Its lineage id, when the meta names one (the meta's own string: no copy). Its group is the
   * entries of the same topic, key and lineage id.
   */
  readonly group: string | undefined;
  /** When its lineage's connection started (orders a group's entries); 0 without a lineage. */
  readonly since: number;

  constructor(
    readonly topic: string,
    readonly key: string,
    readonly meta: Meta,
    readonly replica: ReplicaSlot,
    readonly counter: number,
    readonly prev: number,
    readonly conn: string | undefined,
  ) {
    const lineage = lineageOf(meta);
    this.group = lineage?.id;
    this.since = lineage?.since ?? 0;
  }
}

/** The `phx_ref` of a presence: the owner's tag and the counter, unique cluster-wide. */
export function phxRef(presence: Presence): string {
  return presence.replica.tag + presence.counter.toString(36);
}

/** The meta as clients see it: the app's fields plus `phx_ref` (and `phx_ref_prev` on updates). */
export function wireMeta(presence: Presence): Record<string, unknown> {
  const meta: Record<string, unknown> = { ...presence.meta, phx_ref: phxRef(presence) };
  if (presence.prev > 0) meta['phx_ref_prev'] = presence.replica.tag + presence.prev.toString(36);
  return meta;
}
