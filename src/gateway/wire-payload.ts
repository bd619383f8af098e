/**
 * Builds the Phoenix-shaped payloads `{ [key]: { metas } }` from tracker presences.
 *
 * Objects keyed by user id have no prototype: an id like `__proto__` or `constructor` is then a
 * plain own key, and JSON.stringify (socket.io's encoder) writes it like any other.
 */
import { type Presence, wireMeta } from '../core/index.js';
import type { PresenceChange } from '../core/presence-state.js';
import type { PresenceDiff, PresenceMap, WireMeta } from './client-protocol.js';

export function emptyPresenceMap(): PresenceMap {
  return Object.create(null) as PresenceMap;
}

/** Appends the metas of `presences` under `key` (all share that key). */
export function addMetas(map: PresenceMap, key: string, presences: readonly Presence[]): void {
  if (presences.length === 0) return;
  let slot = map[key];
  if (slot === undefined) {
    slot = { metas: [] };
    map[key] = slot;
  }
  for (const presence of presences) slot.metas.push(wireMeta(presence) as unknown as WireMeta);
}

export function isEmptyMap(map: PresenceMap): boolean {
  for (const _ in map) return false;
  return true;
}

export interface TopicDiff {
  readonly topic: string;
  readonly diff: PresenceDiff;
}

/**
 * Splits a tracker change into one wire diff per topic, skipping topics nobody here listens to.
 * Topics whose diff has joins come first:
 * when one change moves a connection between two topics (an invisibility toggle merged from
 * another node), the user's own devices then see the new meta before the old one leaves, and
 * never see them flicker offline.
 */
export function diffsByTopic(
  change: PresenceChange,
  hasAudience: (topic: string) => boolean = () => true,
): TopicDiff[] {
  const audience = new Map<string, boolean>();
  const heard = (topic: string) => {
    let yes = audience.get(topic);
    if (yes === undefined) {
      yes = hasAudience(topic);
      audience.set(topic, yes);
    }
    return yes;
  };
  const byTopic = new Map<string, { joins: PresenceMap; leaves: PresenceMap }>();
  const slot = (topic: string) => {
    let diff = byTopic.get(topic);
    if (diff === undefined) {
      diff = { joins: emptyPresenceMap(), leaves: emptyPresenceMap() };
      byTopic.set(topic, diff);
    }
    return diff;
  };
  for (const presence of change.joins) {
    if (heard(presence.topic)) addMetas(slot(presence.topic).joins, presence.key, [presence]);
  }
  for (const presence of change.leaves) {
    if (heard(presence.topic)) addMetas(slot(presence.topic).leaves, presence.key, [presence]);
  }
  const withJoins: TopicDiff[] = [];
  const leavesOnly: TopicDiff[] = [];
  for (const [topic, diff] of byTopic) {
    (isEmptyMap(diff.joins) ? leavesOnly : withJoins).push({ topic, diff });
  }
  return withJoins.concat(leavesOnly);
}
