/**
 * Helpers for the tracker core's scenario tests: replicas named like Phoenix's `{node, 1}`,
 * transfers between two states, and plain-data views of changes and visible sets so tests can
 * assert them exactly with `toEqual`.
 */
import {
  type DeltaWindow,
  type MergeResult,
  type MergeStatus,
  type Meta,
  type Presence,
  type PresenceChange,
  PresenceState,
  type PresenceStateOptions,
  type ReplicaRef,
  replicaKey,
  type TransferPart,
  wireMeta,
} from '../../src/core/index.js';

export function ref(name: string, vsn = 1): ReplicaRef {
  return { name, vsn };
}

export function newState(name: string, options?: PresenceStateOptions, vsn = 1): PresenceState {
  return new PresenceState(ref(name, vsn), options);
}

/** Makes every state know (and see up) every other one, at context 0. */
export function connectAll(...states: PresenceState[]): void {
  for (const s of states) {
    for (const other of states) if (other !== s) s.replicaUp(other.self.ref);
  }
}

/** A presence as plain data: where, what, and its dot written `name:counter`. */
export interface Row {
  topic: string;
  key: string;
  meta: Meta;
  dot: string;
}

export function row(p: Presence): Row {
  return { topic: p.topic, key: p.key, meta: p.meta, dot: `${p.replica.ref.name}:${p.counter}` };
}

export function rows(presences: readonly Presence[]): Row[] {
  return presences.map(row);
}

export function sortedRows(presences: readonly Presence[]): Row[] {
  return rows(presences).sort((x, y) => (x.dot < y.dot ? -1 : x.dot > y.dot ? 1 : 0));
}

/** A change as plain data, joins and leaves sorted by dot (merges do not promise an order). */
export function changeOf(change: PresenceChange): { joins: Row[]; leaves: Row[] } {
  return { joins: sortedRows(change.joins), leaves: sortedRows(change.leaves) };
}

export const NO_CHANGE = { joins: [], leaves: [] };

/** Concatenates changes. */
export function combine(...changes: PresenceChange[]): PresenceChange {
  return {
    joins: changes.flatMap((c) => c.joins),
    leaves: changes.flatMap((c) => c.leaves),
  };
}

/** The clock as a plain object `{name: counter}` (vsn 1 everywhere in these tests). */
export function clockOf(state: PresenceState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, counter] of state.clock()) out[key.replace(/#1$/, '')] = counter;
  return out;
}

/**
 * Every visible presence (Phoenix `online_list`), read through the topic index (`list`) for every
 * topic any stored entry is on, sorted by dot. Also checks the index's totals agree with it.
 */
export function onlineList(state: PresenceState): Row[] {
  const topics = new Set<string>();
  for (const r of state.replicas()) for (const e of state.entriesOf(r)) topics.add(e.topic);
  const visible: Presence[] = [];
  for (const topic of topics) visible.push(...state.list(topic));
  if (visible.length !== state.size) {
    throw new Error(`index size ${state.size} but ${visible.length} presences listed`);
  }
  return sortedRows(visible);
}

/** Everything observable about a state, as plain data, to check that an operation changed nothing. */
export function observe(state: PresenceState) {
  return {
    clock: clockOf(state),
    replicas: state.replicas().map((r) => ({
      ref: replicaKey(r),
      up: state.isUp(r),
      context: state.contextOf(r),
      entries: sortedRows(state.entriesOf(r)),
    })),
    online: onlineList(state),
    size: state.size,
    topicCount: state.topicCount,
    hasDelta: state.hasDelta(),
  };
}

export interface SyncResult {
  readonly statuses: MergeStatus[];
  readonly change: PresenceChange;
  readonly parts: TransferPart[];
}

/** Merges transfer parts in order, combining their changes. */
export function mergeParts(into: PresenceState, parts: readonly TransferPart[]): SyncResult {
  const results: MergeResult[] = parts.map((p) => into.mergeTransfer(p));
  return {
    statuses: results.map((r) => r.status),
    change: combine(...results.map((r) => r.change)),
    parts: [...parts],
  };
}

let transferSeq = 0;

/**
 * A transfer from `from` to `to`: `from` extracts what `to` lacks given `to`'s clock (the
 * `transfer_req`), `to` merges every part (the `transfer_ack`).
 */
export function sync(to: PresenceState, from: PresenceState): SyncResult {
  const parts = from.extract(to.self.ref, to.clock(), `t${++transferSeq}`);
  return mergeParts(to, parts);
}

/** Takes `from`'s pending delta and merges it into each receiver; returns the window. */
export function broadcast(from: PresenceState, ...to: PresenceState[]): DeltaWindow {
  const window = from.takeDelta();
  if (!window) throw new Error(`${from.self.ref.name} has no delta to broadcast`);
  for (const receiver of to) receiver.mergeDelta(window);
  return window;
}

/** A window as plain data: `{replica, from, to, adds: [counters], removes: [counters]}`, sorted. */
export function windowOf(window: DeltaWindow) {
  return {
    replica: window.replica.name,
    from: window.from,
    to: window.to,
    adds: window.adds.map((e) => e.counter).sort((a, b) => a - b),
    removes: [...window.removes].sort((a, b) => a - b),
  };
}

/** Tracks and asserts success, returning the presence. */
export function trackOk(
  state: PresenceState,
  topic: string,
  key: string,
  conn: string,
  meta: Meta,
): Presence {
  const result = state.track(topic, key, conn, meta);
  if (!result.ok) throw new Error(`track ${topic}/${key}/${conn} failed: ${result.reason}`);
  return result.presence;
}

/** The wire metas of a presence list (with phx_ref / phx_ref_prev). */
export function wireMetas(presences: readonly Presence[]): Record<string, unknown>[] {
  return presences.map(wireMeta);
}
