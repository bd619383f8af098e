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
import { aggregateStatus, OFFLINE_STATUS, ONLINE_STATUS } from '../domain/presence-status.js';

export { AWAY_STATUS, OFFLINE_STATUS, strongerStatus } from '../domain/presence-status.js';
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

function statusOf(presence: Presence): string {
  const status = presence.meta['status'];
  return typeof status === 'string' ? status : ONLINE_STATUS;
}

function deviceOf(presence: Presence): string {
  const device = presence.meta['device'];
  return typeof device === 'string' && device.length > 0 ? device : OTHER_DEVICE;
}

/** Aggregates `presences` (all of one user, as the view may see them). */
export function userPresence(presences: readonly Presence[]): UserPresence {
  if (presences.length === 0) return OFFLINE;
  const { status, groups } = aggregateStatus(
    presences.map((presence) => ({ status: statusOf(presence), group: deviceOf(presence) })),
  );
  return { online: true, status, devices: groups, lastSeen: null };
}
