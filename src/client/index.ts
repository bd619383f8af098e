/**
 * `graph-presence/client`: the browser and Node client of a graph-presence server.
 *
 * - {@link createPresenceClient} / {@link PresenceClient}: connect, keep the visible users'
 *   presence in sync, listen for joins, leaves, updates and syncs, set status and invisibility.
 * - {@link syncState}, {@link syncDiff}, {@link listPresences}: the sync functions alone, with
 *   the semantics of Phoenix's JS `Presence`, for apps that bring their own socket.
 */

import type {
  PhoenixMeta,
  PresenceMap,
  PresencePatch,
  UserMetas,
  WireMeta,
} from '../domain/client-protocol.js';
import type { PresenceClientErrorCode } from './client-error.js';
import type { UserPresenceChange } from './presence-changes.js';
import type { ListedPresence } from './presence-view.js';

export type {
  PatchValue,
  PhoenixMeta,
  PresenceDiff,
  PresenceMap,
  PresenceMessage,
  PresencePatch,
  UpdateAck,
  UserMetas,
  WireMeta,
} from '../domain/client-protocol.js';
export type { DeviceKind } from '../domain/device-kind.js';
export { PresenceClientError, type PresenceClientErrorCode } from './client-error.js';
export type { FriendStatus } from './friend-status.js';
export { DEFAULT_IDLE_AFTER_MS, type IdleClock } from './idle-away.js';
export { DEFAULT_MESSAGE_MEMORY } from './incoming-messages.js';
export type { UserPresenceChange } from './presence-changes.js';
export {
  createPresenceClient,
  PresenceClient,
  type PresenceClientEvents,
  type PresenceClientOptions,
} from './presence-client.js';
export {
  emptyState,
  list as listPresences,
  type OnJoin,
  type OnLeave,
  type PartialDiff,
  stateDiff,
  syncDiff,
  syncState,
} from './presence-sync.js';
export { type ListedPresence, PresenceView, type PresenceViewSink } from './presence-view.js';
export {
  DEFAULT_RECONNECT_BACKOFF,
  type ReconnectBackoff,
  type ReconnectTimers,
} from './reconnect-schedule.js';

// The names of earlier releases, kept so apps that use them still compile (docs/usage.md,
// "Type names"): the SDK now uses the protocol's names, one name per idea.
/** @deprecated Use {@link PresenceClientErrorCode}. */
export type ClientErrorCode = PresenceClientErrorCode;
/** @deprecated Use {@link PhoenixMeta}. */
export type Meta = PhoenixMeta;
/** @deprecated Use {@link WireMeta}. */
export type PresenceMeta = WireMeta;
/** @deprecated Use {@link UserMetas}. */
export type Presence<M extends PhoenixMeta = PhoenixMeta> = UserMetas<M>;
/** @deprecated Use {@link PresenceMap}. */
export type PresenceState<M extends PhoenixMeta = PhoenixMeta> = PresenceMap<M>;
/** @deprecated Use {@link UserPresenceChange}. */
export type PresenceChange<M extends PhoenixMeta = PhoenixMeta> = UserPresenceChange<M>;
/** @deprecated Use {@link PresencePatch}. */
export type UpdatePatch = PresencePatch;
/** @deprecated Use {@link ListedPresence} (`UserPresence` of the server's query is another thing). */
export type UserPresence<M extends PhoenixMeta = PhoenixMeta> = ListedPresence<M>;
