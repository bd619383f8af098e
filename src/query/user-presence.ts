/**
 * One user's presence as a query answers it, aggregated from the tracker's presences of that
 * user (one per connection) that the view may see:
 *
 * - `online`: at least one such connection.
 * - `status`: the strongest of their statuses: `online` beats `away`, which beats any other
 *   status (among others, the least in code-unit order, so the answer never depends on which
 *   node or connection was read first); `offline` when there is no connection.
 * - `devices`: the handshake's `device` string (free-form today, e.g. `phone`) → the strongest
 *   status of that device's connections; connections that gave no device (or an empty one) are
 *   under `other`.
 * - `lastSeen`: always null: there is no last-seen store yet.
 */
import type { Presence } from '../core/index.js';
import { DEFAULT_STATUS } from '../gateway/handshake-meta.js';

export const OFFLINE_STATUS = 'offline';
export const AWAY_STATUS = 'away';
/** The device of connections whose handshake named none. */
export const OTHER_DEVICE = 'other';

export interface UserPresence {
  /** At least one connection the view may see, anywhere in the cluster. */
  readonly online: boolean;
  /** `online` > `away` > other statuses (the least in code-unit order); `offline` if none. */
  readonly status: string;
  /** Device → the strongest status of its connections (no `device`: `other`). */
  readonly devices: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch the user was last seen; null: not recorded (no store yet). */
  readonly lastSeen: number | null;
}

/** What a user with no connection the view may see looks like: shared, frozen. */
export const OFFLINE: UserPresence = Object.freeze({
  online: false,
  status: OFFLINE_STATUS,
  devices: Object.freeze(Object.create(null) as Record<string, string>),
  lastSeen: null,
});

function rank(status: string): number {
  if (status === DEFAULT_STATUS) return 2;
  if (status === AWAY_STATUS) return 1;
  return 0;
}

/** The stronger of two statuses (see the module comment). */
export function strongerStatus(a: string, b: string): string {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank > 0 ? a : b;
  return a <= b ? a : b;
}

function statusOf(presence: Presence): string {
  const status = presence.meta['status'];
  return typeof status === 'string' ? status : DEFAULT_STATUS;
}

function deviceOf(presence: Presence): string {
  const device = presence.meta['device'];
  return typeof device === 'string' && device.length > 0 ? device : OTHER_DEVICE;
}

/** Aggregates `presences` (all of one user, as the view may see them). */
export function userPresence(presences: readonly Presence[]): UserPresence {
  if (presences.length === 0) return OFFLINE;
  // No prototype: device names come from clients (`__proto__` is just a name here).
  const devices: Record<string, string> = Object.create(null);
  let status: string | undefined;
  for (const presence of presences) {
    const own = statusOf(presence);
    const device = deviceOf(presence);
    const before = devices[device];
    devices[device] = before === undefined ? own : strongerStatus(before, own);
    status = status === undefined ? own : strongerStatus(status, own);
  }
  return { online: true, status: status ?? OFFLINE_STATUS, devices, lastSeen: null };
}
