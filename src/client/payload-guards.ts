/**
 * Checks of what the server sends, before it reaches the sync: a payload of the wrong shape is
 * reported and dropped, never half-applied.
 */

import type { PhoenixMeta, PresenceMap } from '../domain/client-protocol.js';
import type { PartialDiff } from './presence-sync.js';

/** A `presence_state` payload: `{ [userId]: { metas: [{ phx_ref: string, ... }] } }`. */
export function isPresenceState(value: unknown): value is PresenceMap<PhoenixMeta> {
  if (!isObject(value)) return false;
  for (const key of Object.keys(value)) {
    if (!isPresence((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** A `presence_diff` payload: `{ joins?, leaves? }`, each a presence state. */
export function isPresenceDiff(value: unknown): value is PartialDiff<PhoenixMeta> {
  if (!isObject(value)) return false;
  const { joins, leaves } = value as { joins?: unknown; leaves?: unknown };
  return (
    (joins === undefined || isPresenceState(joins)) &&
    (leaves === undefined || isPresenceState(leaves))
  );
}

function isPresence(value: unknown): boolean {
  if (!isObject(value)) return false;
  const metas = (value as { metas?: unknown }).metas;
  return (
    Array.isArray(metas) &&
    metas.every((m) => isObject(m) && typeof (m as { phx_ref?: unknown }).phx_ref === 'string')
  );
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
