/**
 * Pure presence sync with the semantics of Phoenix's JS client (`Presence.syncState`,
 * `Presence.syncDiff`, `Presence.list` in phoenix/assets/js/phoenix/presence.js): same results,
 * same callbacks with the same arguments, in the same order. Two differences, neither visible in
 * results: the inputs are never mutated (Phoenix may mutate the state and the new state passed
 * in), and a diff may omit `joins` or `leaves`.
 *
 * Every state object this module returns has a null prototype, so user ids such as `__proto__`
 * or `constructor` are ordinary keys and `Object.prototype` is never touched.
 */
import type {
  PhoenixMeta,
  PresenceDiff,
  PresenceMap,
  UserMetas,
} from '../domain/client-protocol.js';

/** Called for each key in a diff's `joins`: the presence before (if any) and the joined one. */
export type OnJoin<M extends PhoenixMeta = PhoenixMeta> = (
  key: string,
  current: UserMetas<M> | undefined,
  joined: UserMetas<M>,
) => void;

/** Called for each known key in a diff's `leaves`: the presence after removal and the left one. */
export type OnLeave<M extends PhoenixMeta = PhoenixMeta> = (
  key: string,
  current: UserMetas<M>,
  left: UserMetas<M>,
) => void;

/** A diff as it may arrive: either side may be missing. */
export type PartialDiff<M extends PhoenixMeta = PhoenixMeta> = Partial<PresenceDiff<M>>;

type MutablePresence<M extends PhoenixMeta> = { metas: M[] } & Record<string, unknown>;

/** A new empty state (null prototype). */
export function emptyState<M extends PhoenixMeta = PhoenixMeta>(): PresenceMap<M> {
  return Object.create(null) as PresenceMap<M>;
}

/**
 * Syncs `current` with a full state from the server: keys missing from `newState` leave whole;
 * for keys in both, metas are matched by `phx_ref` (new refs join, missing refs leave); keys
 * only in `newState` join whole. Then applies that diff with {@link syncDiff}.
 */
export function syncState<M extends PhoenixMeta>(
  current: PresenceMap<M>,
  newState: PresenceMap<M>,
  onJoin?: OnJoin<M>,
  onLeave?: OnLeave<M>,
): PresenceMap<M> {
  return syncDiff(current, stateDiff(current, newState), onJoin, onLeave);
}

/**
 * The diff {@link syncState} applies: what turns `current` into `newState`, by `phx_ref`.
 * Presences in it are the inputs' objects or shallow copies of them with fewer metas.
 */
export function stateDiff<M extends PhoenixMeta>(
  current: PresenceMap<M>,
  newState: PresenceMap<M>,
): PresenceDiff<M> {
  const joins = emptyState<M>();
  const leaves = emptyState<M>();
  for (const key of keysOf(current)) {
    if (!ownValue(newState, key)) leaves[key] = ownValue(current, key)!;
  }
  for (const key of keysOf(newState)) {
    const newPresence = ownValue(newState, key)!;
    const currentPresence = ownValue(current, key);
    if (currentPresence) {
      const newRefs = new Set(newPresence.metas.map((m) => m.phx_ref));
      const curRefs = new Set(currentPresence.metas.map((m) => m.phx_ref));
      const joinedMetas = newPresence.metas.filter((m) => !curRefs.has(m.phx_ref));
      const leftMetas = currentPresence.metas.filter((m) => !newRefs.has(m.phx_ref));
      if (joinedMetas.length > 0) joins[key] = { ...newPresence, metas: joinedMetas };
      if (leftMetas.length > 0) leaves[key] = { ...currentPresence, metas: leftMetas };
    } else {
      joins[key] = newPresence;
    }
  }
  return { joins, leaves };
}

/**
 * Applies a diff: **all joins first, then all leaves**. A join replaces the key's presence by
 * a copy of the joined one, with the current metas whose `phx_ref` is not joined put in front
 * (old first, new last, no duplicate refs), then calls `onJoin(key, before, joined)`. A leave of
 * an unknown key is ignored; otherwise the metas with a left `phx_ref` are removed,
 * `onLeave(key, after, left)` is called, and the key is deleted when no meta remains.
 *
 * An update (the old ref in `leaves`, the new meta with `phx_ref_prev` in `joins`) therefore
 * calls both callbacks and ends with only the new meta. Returns a new state; `state` and `diff`
 * are not mutated. The presences passed to the callbacks are copies of the diff's.
 */
export function syncDiff<M extends PhoenixMeta>(
  state: PresenceMap<M>,
  diff: PartialDiff<M>,
  onJoin?: OnJoin<M>,
  onLeave?: OnLeave<M>,
): PresenceMap<M> {
  const next = copyState(state) as Record<string, MutablePresence<M>>;
  const joins = copyState(clone(diff.joins ?? emptyState<M>()));
  const leaves = copyState(clone(diff.leaves ?? emptyState<M>()));

  for (const key of keysOf(joins)) {
    const newPresence = joins[key]!;
    const currentPresence = ownValue(next, key);
    const presence = clone(newPresence) as MutablePresence<M>;
    if (currentPresence) {
      const joinedRefs = new Set(presence.metas.map((m) => m.phx_ref));
      const curMetas = currentPresence.metas.filter((m) => !joinedRefs.has(m.phx_ref));
      presence.metas.unshift(...curMetas);
    }
    next[key] = presence;
    onJoin?.(key, currentPresence, newPresence);
  }
  for (const key of keysOf(leaves)) {
    const leftPresence = leaves[key]!;
    const currentPresence = ownValue(next, key);
    if (!currentPresence) continue;
    const refsToRemove = new Set(leftPresence.metas.map((m) => m.phx_ref));
    const presence: MutablePresence<M> = {
      ...currentPresence,
      metas: currentPresence.metas.filter((m) => !refsToRemove.has(m.phx_ref)),
    };
    next[key] = presence;
    onLeave?.(key, presence, leftPresence);
    if (presence.metas.length === 0) delete next[key];
  }
  return next;
}

/**
 * Maps `chooser(key, presence)` over the state's keys, in JavaScript property order (integer-like
 * keys first, ascending; then insertion order). Without a chooser, returns the presences.
 */
export function list<M extends PhoenixMeta, T = UserMetas<M>>(
  state: PresenceMap<M>,
  chooser?: (key: string, presence: UserMetas<M>) => T,
): T[] {
  const choose = chooser ?? ((_key: string, presence: UserMetas<M>) => presence as T);
  return keysOf(state).map((key) => choose(key, ownValue(state, key)!));
}

/** Own keys of a state, whatever its prototype (as Phoenix: `Object.getOwnPropertyNames`). */
function keysOf(obj: object): string[] {
  return Object.getOwnPropertyNames(obj);
}

/** The own value at `key`: never one inherited from a prototype. */
function ownValue<T>(obj: { [key: string]: T }, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** A shallow copy with a null prototype. */
function copyState<T>(obj: { [key: string]: T }): { [key: string]: T } {
  const out = Object.create(null) as { [key: string]: T };
  for (const key of keysOf(obj)) out[key] = obj[key]!;
  return out;
}

/** A deep copy of JSON data (as Phoenix clones: what JSON cannot hold is dropped). */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
