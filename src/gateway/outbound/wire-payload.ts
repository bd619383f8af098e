/**
 * Builds the Phoenix-shaped payloads `{ [key]: { metas } }` from tracker presences.
 *
 * Objects keyed by user id have no prototype: an id like `__proto__` or `constructor` is then a
 * plain own key, and JSON.stringify (socket.io's encoder) writes it like any other.
 */
import type { TopicDiff } from '../../change-router/routed-change.js';
import { lineageOf, type Presence } from '../../core/index.js';
import type { PresenceMap, WireMeta } from '../../domain/client-protocol.js';
import { topicOwnsKey } from '../../domain/topics.js';
import { KeyChange } from './key-change.js';
import type { WireRefs } from './wire-refs.js';

export function emptyPresenceMap(): PresenceMap {
  return Object.create(null) as PresenceMap;
}

/** Appends the metas of `presences` under `key` (all share that key). */
export function addMetas(
  map: PresenceMap,
  key: string,
  presences: readonly Presence[],
  refs: WireRefs,
): void {
  if (presences.length === 0) return;
  let slot = map[key];
  if (slot === undefined) {
    slot = { metas: [] };
    map[key] = slot;
  }
  for (const presence of presences) slot.metas.push(refs.meta(presence));
}

export function isEmptyMap(map: PresenceMap): boolean {
  for (const _ in map) return false;
  return true;
}

/** A topic's share of a tracker change: one {@link KeyChange} per user key in it. */
export interface TopicChange {
  readonly topic: string;
  readonly changes: readonly KeyChange[];
}

/**
 * Splits a tracker change, already grouped by topic (src/change-router/routed-change.ts), by key,
 * skipping topics nobody here listens to and entries whose key is not their topic's (topicOwnsKey:
 * `onForeignKey` hears of each). Each key's metas are converted once and shared by every socket
 * the change reaches.
 */
export function changesByTopic(
  topics: ReadonlyMap<string, TopicDiff>,
  refs: WireRefs,
  hasAudience: (topic: string) => boolean = () => true,
  onForeignKey: (presence: Presence) => void = () => {},
): TopicChange[] {
  const out: TopicChange[] = [];
  for (const [topic, diff] of topics) {
    let keys: Map<string, { joins: WireMeta[]; leaves: WireMeta[] }> | null | undefined;
    const slot = (presence: Presence) => {
      if (!topicOwnsKey(presence.topic, presence.key)) {
        onForeignKey(presence);
        return undefined;
      }
      // Asked once per topic, at its first entry with its own key (as before the grouping).
      keys ??= hasAudience(topic) ? new Map() : null;
      if (keys === null) return undefined;
      let metas = keys.get(presence.key);
      if (metas === undefined) {
        metas = { joins: [], leaves: [] };
        keys.set(presence.key, metas);
      }
      return metas;
    };
    const replaced = diff.joins.length > 0 && diff.leaves.length > 0 ? byDevice(diff.leaves) : null;
    const silent = new Set<Presence>();
    for (const presence of diff.joins) {
      const left = replaced?.get(deviceOf(presence) ?? '');
      if (left === undefined) {
        slot(presence)?.joins.push(refs.meta(presence));
        continue;
      }
      // One device's entry replaced by another (an update, a takeover): same ref, nothing to say;
      // otherwise one update naming what it replaces.
      const leftRef = refs.of(left);
      if (leftRef === refs.of(presence)) silent.add(left);
      else slot(presence)?.joins.push({ ...refs.meta(presence), phx_ref_prev: leftRef });
    }
    for (const presence of diff.leaves) {
      if (!silent.has(presence)) slot(presence)?.leaves.push(refs.meta(presence));
    }
    if (keys === null || keys === undefined || keys.size === 0) continue;
    const changes: KeyChange[] = [];
    for (const [key, { joins, leaves }] of keys) changes.push(new KeyChange(key, joins, leaves));
    out.push({ topic, changes });
  }
  return out;
}

/** A presence's device in its topic: key and lineage id (undefined without a lineage). */
function deviceOf(presence: Presence): string | undefined {
  const lineage = lineageOf(presence.meta);
  return lineage === undefined ? undefined : `${presence.key}\u0000${lineage.id}`;
}

/** The leaves of a change that have a lineage, by device (a device leaves once per change). */
function byDevice(leaves: readonly Presence[]): Map<string, Presence> | null {
  let out: Map<string, Presence> | null = null;
  for (const presence of leaves) {
    const device = deviceOf(presence);
    if (device === undefined) continue;
    out ??= new Map();
    out.set(device, presence);
  }
  return out;
}
