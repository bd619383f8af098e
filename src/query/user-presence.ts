/**
 * One user's presence as a query answers it, aggregated from the tracker's presences of that
 * user (one per connection) that the view may see:
 *
 * - `online`: at least one such connection.
 * - `status`: the strongest of their statuses: `online` beats `away`, which beats any other
 *   status (among others, the least in code-unit order, so the answer never depends on which
 *   node or connection was read first); `offline` when there is no connection.
 * - `devices`: the kind of device (the handshake's `kind`: `web`, `mobile`, `desktop`, `other`)
 *   → the strongest status of that kind's connections; a connection that named no kind is
 *   `other`. The SDK's `statusOf(id).kinds` groups the same way.
 * - `lastSeen`: when the user is offline, the last seen the view may see (presence-query.ts);
 *   null when online, never recorded, hidden from the view, or the store did not answer.
 */
import type { Presence } from '../core/index.js';
import { DEFAULT_DEVICE_KIND, type DeviceKind, isDeviceKind } from '../domain/device-kind.js';
import { aggregateStatus, OFFLINE_STATUS, ONLINE_STATUS } from '../domain/presence-status.js';

export { AWAY_STATUS, OFFLINE_STATUS, strongerStatus } from '../domain/presence-status.js';

export interface UserPresence {
  /** At least one connection the view may see, anywhere in the cluster. */
  readonly online: boolean;
  /** `online` > `away` > other statuses (the least in code-unit order); `offline` if none. */
  readonly status: string;
  /** Kind of device → the strongest status of its connections (no `kind`: `other`). */
  readonly devices: Readonly<Partial<Record<DeviceKind, string>>>;
  /** Ms since the epoch the offline user was last seen; null: online, unknown or hidden. */
  readonly lastSeen: number | null;
}

/** What a user with no connection the view may see looks like: shared, frozen. */
export const OFFLINE: UserPresence = Object.freeze({
  online: false,
  status: OFFLINE_STATUS,
  devices: Object.freeze(Object.create(null) as Partial<Record<DeviceKind, string>>),
  lastSeen: null,
});

function statusOf(presence: Presence): string {
  const status = presence.meta['status'];
  return typeof status === 'string' ? status : ONLINE_STATUS;
}

function kindOf(presence: Presence): DeviceKind {
  const kind = presence.meta['kind'];
  return isDeviceKind(kind) ? kind : DEFAULT_DEVICE_KIND;
}

/** Aggregates `presences` (all of one user, as the view may see them). */
export function userPresence(presences: readonly Presence[]): UserPresence {
  if (presences.length === 0) return OFFLINE;
  const { status, groups } = aggregateStatus(
    presences.map((presence) => ({ status: statusOf(presence), group: kindOf(presence) })),
  );
  return { online: true, status, devices: groups, lastSeen: null };
}
