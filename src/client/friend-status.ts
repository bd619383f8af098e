/**
 * One visible user's status across their devices, as `presence.statusOf(userId)` answers it:
 * the same rule as the server's presence query (src/domain/presence-status.ts), grouped by the
 * handshake's device `kind` (a meta without a known kind counts as `other`).
 */

import type { PhoenixMeta, UserMetas } from '../domain/client-protocol.js';
import { DEFAULT_DEVICE_KIND, type DeviceKind, isDeviceKind } from '../domain/device-kind.js';
import { aggregateStatus, ONLINE_STATUS } from '../domain/presence-status.js';

export interface FriendStatus {
  /** `online` beats `away`, which beats other statuses; `offline` when no device is visible. */
  readonly status: string;
  /** Kind of device → the strongest status of that kind's connections. */
  readonly kinds: Readonly<Partial<Record<DeviceKind, string>>>;
}

function statusOf(meta: PhoenixMeta): string {
  const status = meta['status'];
  return typeof status === 'string' ? status : ONLINE_STATUS;
}

function kindOf(meta: PhoenixMeta): DeviceKind {
  const kind = meta['kind'];
  return isDeviceKind(kind) ? kind : DEFAULT_DEVICE_KIND;
}

/** The aggregate of `presence` (undefined: not visible, so `offline` with no kinds). */
export function friendStatus(presence: UserMetas<PhoenixMeta> | undefined): FriendStatus {
  const { status, groups } = aggregateStatus(
    (presence?.metas ?? []).map((meta) => ({ status: statusOf(meta), group: kindOf(meta) })),
  );
  return { status, kinds: groups };
}
